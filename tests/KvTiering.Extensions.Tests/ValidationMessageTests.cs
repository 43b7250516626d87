using KvTiering.Extensions;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions.Tests;

/// <summary>
/// What a user reads when a name in the configuration is wrong: the setting's path and the value, the names that
/// setting takes (never belady, which a store cannot run), and no "(Parameter 'name')" from the exception underneath.
/// </summary>
public sealed class ValidationMessageTests
{
    [Fact]
    public void An_unknown_policy_lists_only_the_policies_a_store_can_run()
    {
        string failure = Assert.Single(Failures(new KvTieringOptions { MemoryPolicy = "random" }));
        Assert.StartsWith("KvTiering:MemoryPolicy: Unknown eviction policy 'random'. Valid policies: lru, ", failure, StringComparison.Ordinal);
        Assert.Contains(", agent", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("belady", failure, StringComparison.Ordinal);
        Assert.EndsWith(".", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MemoryTier", "KvTiering:MemoryTier: Unknown tier 'tape'")]
    [InlineData("FlashPolicy", "KvTiering:FlashPolicy: Unknown eviction policy 'tape'")]
    [InlineData("Model", "KvTiering:Model: Unknown model 'tape'")]
    public void A_bad_name_reads_without_the_exceptions_parameter_suffix(string setting, string expected)
    {
        var options = new KvTieringOptions();
        switch (setting)
        {
            case "MemoryTier": options.MemoryTier = "tape"; break;
            case "FlashPolicy": options.FlashPolicy = "tape"; break;
            default: options.Model = "tape"; break;
        }

        string failure = Assert.Single(Failures(options));
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", failure, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Failures(KvTieringOptions options)
    {
        ValidateOptionsResult result = new KvTieringOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        return result.Failures!;
    }
}
