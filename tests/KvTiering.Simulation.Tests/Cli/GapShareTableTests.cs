using System.Text;
using KvTiering.Cli;
using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class GapShareTableTests
{
    private static ReplayResult Result(string policy, int blocks, double hitRate) =>
        ReplayResults.Of(policy, blocks, hitRate, uniqueBlocks: 1000.0);

    [Fact]
    public void Every_policy_gets_its_share_of_the_gap_at_every_capacity_and_below_lru_is_negative()
    {
        var md = new StringBuilder();
        GapShareTable.Append(md, [
            Result("lru", 10, 0.2), Result("lru", 25, 0.5),
            Result("belady", 10, 0.6), Result("belady", 25, 0.5),
            Result("agent", 10, 0.5), Result("agent", 25, 0.5),
            Result("slru", 10, 0.1), Result("slru", 25, 0.4),
        ]);
        string table = md.ToString();
        Assert.Contains("| policy | 1% | 2.5% |", table, StringComparison.Ordinal);
        Assert.Contains("| agent | +75% | no gap |", table, StringComparison.Ordinal);
        Assert.Contains("| slru | −25% | no gap |", table, StringComparison.Ordinal);
        Assert.DoesNotContain("| lru |", table, StringComparison.Ordinal);
        Assert.DoesNotContain("| belady |", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_lru_and_belady_there_is_no_table()
    {
        var md = new StringBuilder();
        GapShareTable.Append(md, [Result("agent", 10, 0.5)]);
        Assert.Equal(0, md.Length);
    }
}
