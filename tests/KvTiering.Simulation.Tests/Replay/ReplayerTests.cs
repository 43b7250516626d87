using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class ReplayerTests
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 50)]
    [InlineData(3, 200)]
    [InlineData(4, 1)]
    public void Lru_replay_equals_the_reference_implementation_exactly(int seed, int capacity)
    {
        Trace trace = TestTraces.GrowingSessions(seed);
        var expected = ReferenceLru.Run(trace, capacity);
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = capacity });

        Assert.Equal(expected.HitTokens, result.HitTokens);
        Assert.Equal(expected.InputTokens, result.InputTokens);
        Assert.Equal((double)expected.HitTokens / expected.InputTokens, result.TokenHitRate);
        Assert.Equal((double)expected.Resident / expected.References, result.BlockHitRate);
        Assert.Equal(trace.RequestCount, result.Requests);
        Assert.Equal(expected.References, result.References);
    }

    [Fact]
    public void Token_hits_are_capped_at_the_input_length()
    {
        // One block of 16 tokens referenced twice by a request claiming only 5 input tokens.
        var trace = new Trace("cap", 16, [0, 1], [1, 1], [5, 5], [1, 1], [0, 1, 2], [0, 0], 1);
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 4 });
        Assert.Equal(5, result.HitTokens);
        Assert.Equal(0.5, result.TokenHitRate);
        Assert.Equal(0.5, result.BlockHitRate);
    }

    [Fact]
    public void Prefix_stops_at_the_first_absent_block_but_block_hits_count_all_resident()
    {
        // Request 2 = [0, 9, 1]: 0 and 1 are resident, 9 is not → prefix 1 block, 2 resident blocks.
        var trace = new Trace("prefix", 4, [0, 1], [1, 1], [8, 12], [1, 1], [0, 2, 5], [0, 1, 0, 9, 1], 10);
        ReplayResult result = Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 10 });
        Assert.Equal(4, result.HitTokens);
        Assert.Equal(2.0 / 5, result.BlockHitRate);
    }

    [Fact]
    public void RunMany_gives_the_same_results_as_single_runs()
    {
        Trace trace = TestTraces.GrowingSessions(7);
        ReplayOptions[] runs = [.. new[] { 5, 20, 80 }.Select(c => new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = c })];
        IReadOnlyList<ReplayResult> many = Replayer.RunMany(trace, runs);
        for (int i = 0; i < runs.Length; i++)
        {
            Assert.Equal(Replayer.Run(trace, runs[i]).HitTokens, many[i].HitTokens);
        }

        Assert.True(many[0].TokenHitRate <= many[1].TokenHitRate && many[1].TokenHitRate <= many[2].TokenHitRate);
    }

    [Fact]
    public void Zero_capacity_is_rejected_naming_the_value()
    {
        Trace trace = TestTraces.GrowingSessions(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Replayer.Run(trace, new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 0 }));
        Assert.Contains("0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prepared_replay_replays_once_and_equals_a_whole_run()
    {
        Trace trace = TestTraces.GrowingSessions(5);
        var options = new ReplayOptions { Policy = EvictionPolicy.Lru, CapacityBlocks = 30 };
        ReplayResult whole = Replayer.Run(trace, options);
        using PreparedReplay prepared = PreparedReplay.Prepare(trace, options, NextUseIndex.Build(trace));
        ReplayResult split = prepared.Execute();

        Assert.Equal(whole.HitTokens, split.HitTokens);
        Assert.Equal(whole.BlockHitRate, split.BlockHitRate);
        Assert.Equal(whole.Tiers[0].Evictions, split.Tiers[0].Evictions);
        Assert.Throws<InvalidOperationException>(() => prepared.Execute());
    }
}
