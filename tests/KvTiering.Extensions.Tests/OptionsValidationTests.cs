using KvTiering.Extensions;
using KvTiering.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions.Tests;

public sealed class OptionsValidationTests
{
    public static TheoryData<string, string> BadOptions => new()
    {
        { "MemoryBytes=100", "KvTiering:MemoryBytes is 100; it holds no block of 16384 bytes" },
        { "MemoryBytes=-1", "KvTiering:MemoryBytes is -1; it cannot be negative" },
        { "MemoryBytes=0", "KvTiering:MemoryBytes is 0 and KvTiering:FlashDirectory is not set" },
        { "BlockBytes=1001", "KvTiering:BlockBytes is 1001; it must be an even number" },
        { "BlockBytes=128", "KvTiering:BlockBytes is 128; blocks must hold at least 256 bytes" },
        { "MemoryTier=tape", "KvTiering:MemoryTier: Unknown tier 'tape'" },
        { "MemoryPolicy=random", "KvTiering:MemoryPolicy: Unknown eviction policy 'random'" },
        { "FlashPolicy=belady", "KvTiering:FlashPolicy is 'belady': Belady needs the future" },
        { "Model=gpt-17", "KvTiering:Model: Unknown model 'gpt-17'" },
        { "FlashDirectory=/no/such/parent/kv", "KvTiering:FlashDirectory '/no/such/parent/kv' cannot be created: its parent directory '/no/such/parent' does not exist" },
        { "Promotion=7", "KvTiering:Promotion is 7" },
    };

    private static void Apply(KvTieringOptions o, string setting)
    {
        string[] parts = setting.Split('=');
        string value = parts[1];
        switch (parts[0])
        {
            case "MemoryBytes": o.MemoryBytes = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "BlockBytes": o.BlockBytes = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "MemoryTier": o.MemoryTier = value; break;
            case "MemoryPolicy": o.MemoryPolicy = value; break;
            case "FlashPolicy": o.FlashPolicy = value; break;
            case "Model": o.Model = value; break;
            case "FlashDirectory": o.FlashDirectory = value; break;
            case "Promotion": o.Promotion = (PromotionMode)int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: throw new ArgumentException(setting);
        }
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_fail_at_start_with_a_message_that_names_the_setting(string setting, string expected)
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering(o => Apply(o, setting)).BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(expected, atStart.Message, StringComparison.Ordinal);
        var atResolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<TieredKvStore>());
        Assert.Contains(expected, atResolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_keyed_store_is_validated_under_its_own_section_name()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddKeyedKvTiering("agents", o => o.MemoryBytes = 10).BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("KvTiering:agents:MemoryBytes is 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_failure_is_reported_at_once_and_defaults_pass()
    {
        var validator = new KvTieringOptionsValidator();
        Assert.True(validator.Validate(null, new KvTieringOptions()).Succeeded);
        ValidateOptionsResult result = validator.Validate(null, new KvTieringOptions { MemoryTier = "x", MemoryPolicy = "y", MemoryBytes = 5 });
        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Only_a_flash_tier_is_valid_and_builds_a_one_tier_store()
    {
        using var temp = new TempDirectory();
        using ServiceProvider provider = new ServiceCollection()
            .AddKvTiering(o => (o.MemoryBytes, o.FlashDirectory, o.FlashBytes) = (0, temp.Sub("kv"), 1 << 20))
            .BuildServiceProvider();
        TieredKvStore store = provider.GetRequiredService<TieredKvStore>();
        Assert.Equal(1, store.TierCount);
        Assert.Equal("flash", store.TierProfileAt(0).Name);
    }
}
