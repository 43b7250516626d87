using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>
/// Capacities a user can mistype: a share above 100% (150% for 1.50%) is refused with the value named, in --capacity
/// and in --tiers, while 100% itself still runs.
/// </summary>
public sealed class CapacityArgumentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("capacity '150%' is more than 100% of the trace's unique blocks", "--capacity", "1%,150%")]
    [InlineData("capacity '100.5%' is more than 100%", "--capacity", "100.5%")]
    [InlineData("tier 'dram:150%': capacity '150%' is more than 100%", "--tiers", "hbm3:50%,dram:150%")]
    public void A_share_above_100_percent_is_refused_with_its_value(string message, string option, string value)
    {
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", WriteTrace(), "--format", "mooncake", "--no-cache",
            option, value, "--policy", "lru");
        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("tier 'dram:0': capacity '0' must be positive", "hbm3:50%,dram:0")]
    [InlineData("tier 'hbm3:' is not NAME:CAPACITY", "hbm3:")]
    [InlineData("tier 'flash:x': capacity 'x' is neither a block count nor a percentage", "dram:50%,flash:x")]
    public void A_bad_tier_capacity_names_its_tier(string message, string tiers)
    {
        (int rc, _, string errors) = Kvtier("simulate", "--trace", WriteTrace(), "--format", "mooncake", "--no-cache",
            "--tiers", tiers, "--policy", "lru");
        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_100_percent_holds_every_block_and_runs()
    {
        (int rc, string output, string errors) = Kvtier("simulate", "--trace", WriteTrace(), "--format", "mooncake", "--no-cache",
            "--quiet", "--policy", "lru", "--capacity", "100%");
        Assert.True(rc == 0, errors);
        Assert.Contains("100% (3 blocks)", output, StringComparison.Ordinal);
    }

    private string WriteTrace()
    {
        string trace = _dir.File($"trace-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(trace,
        [
            "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}",
            "{\"timestamp\": 1000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [1, 2, 3]}",
        ]);
        return trace;
    }
}
