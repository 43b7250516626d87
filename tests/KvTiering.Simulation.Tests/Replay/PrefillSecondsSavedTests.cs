using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Reports;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class PrefillSecondsSavedTests
{
    private static readonly ModelPreset Model = ModelPresets.FromName("llama-3.1-8b");

    /// <summary>Two requests of one session: the second repeats the first's <paramref name="blocks"/> blocks and adds one.</summary>
    private static Trace Repeat(int blocks, int blockTokens = 16)
    {
        int[] ids = [.. Enumerable.Range(0, blocks), .. Enumerable.Range(0, blocks + 1)];
        return new Trace("repeat", blockTokens, [0, 1], [1, 1], [blocks * blockTokens, (blocks + 1) * blockTokens], [1, 1],
            [0, blocks, ids.Length], ids, blocks + 1);
    }

    [Fact]
    public void Saved_seconds_are_the_hit_prefix_compute()
    {
        Trace trace = Repeat(8);
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 64, Model = Model });
        var cost = new CostModel(Model, AcceleratorProfiles.H100Sxm);
        double expected = cost.RecomputeSeconds(9 * 16, 0) - cost.RecomputeSeconds(16, 8 * 16);

        Assert.Equal(8 * 16, result.HitTokens);
        Assert.NotNull(result.PrefillSecondsSaved);
        Assert.Equal(expected, result.PrefillSecondsSaved!.Value, 9);
    }

    [Fact]
    public void A_deep_prefix_saves_more_per_token_than_a_shallow_one_and_no_hit_saves_nothing()
    {
        var options = new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 4096, Model = Model };
        ReplayResult shallow = Replayer.Run(Repeat(4, 256), options);
        ReplayResult deep = Replayer.Run(Repeat(64, 256), options);
        Assert.True(deep.PrefillSecondsSaved / deep.HitTokens > shallow.PrefillSecondsSaved / shallow.HitTokens);

        ReplayResult none = Replayer.Run(Repeat(4), new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 1, Model = Model });
        Assert.Equal(0, none.HitTokens);
        Assert.Equal(0, none.PrefillSecondsSaved!.Value, 12);
        Assert.Null(Replayer.Run(Repeat(4), new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 64 }).PrefillSecondsSaved);
    }

    [Fact]
    public void The_ranking_orders_policies_by_seconds_saved()
    {
        Trace trace = Repeat(8);
        ReplayResult big = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 64, Model = Model });
        ReplayResult small = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicies.Fifo, CapacityBlocks = 64, Model = Model })
            with { PrefillSecondsSaved = 0 };
        string table = ResultWriter.ToPrefillRanking([small, big]);
        Assert.True(table.IndexOf("lru", StringComparison.Ordinal) < table.IndexOf("fifo", StringComparison.Ordinal), table);
        Assert.Equal(string.Empty, ResultWriter.ToPrefillRanking([big with { PrefillSecondsSaved = null }]));
    }
}
