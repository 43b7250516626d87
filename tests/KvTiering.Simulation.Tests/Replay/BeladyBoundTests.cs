using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class BeladyBoundTests
{
    [Theory]
    [InlineData(11, 20)]
    [InlineData(12, 60)]
    [InlineData(13, 150)]
    public void Belady_is_never_below_any_other_policy_on_generated_sessions(int seed, int capacity)
    {
        Trace trace = TestTraces.GrowingSessions(seed);
        AssertBeladyBounds(trace, capacity);
    }

    [Fact]
    public void Belady_is_never_below_any_other_policy_on_the_mooncake_conversation_trace()
    {
        Trace trace = TraceLoader.Load(Path.Combine(SharedTraces.Root, "mooncake", "conversation_trace.jsonl"), TraceFormat.Mooncake);
        foreach (double share in new[] { 0.01, 0.05 })
        {
            AssertBeladyBounds(trace, (int)(trace.UniqueBlocks * share));
        }
    }

    private static void AssertBeladyBounds(Trace trace, int capacity)
    {
        ReplayOptions[] runs = [.. EvictionPolicies.Names.Select(n => new ReplayOptions { Policy = EvictionPolicies.FromName(n), CapacityBlocks = capacity })];
        IReadOnlyList<ReplayResult> results = Replayer.RunMany(trace, runs);
        ReplayResult belady = results.Single(r => r.Policy == "belady");
        foreach (ReplayResult other in results)
        {
            Assert.True(belady.TokenHitRate >= other.TokenHitRate,
                $"{trace.Name} at {capacity}: belady {belady.TokenHitRate:F4} < {other.Policy} {other.TokenHitRate:F4}");
            Assert.True(belady.BlockHitRate >= other.BlockHitRate,
                $"{trace.Name} at {capacity}: belady block hit rate {belady.BlockHitRate:F4} < {other.Policy} {other.BlockHitRate:F4}");
        }
    }
}
