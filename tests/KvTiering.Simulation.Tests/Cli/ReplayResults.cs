using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>Hand-made replay results for the report and plot tests: only the policy, capacity and hit rate matter.</summary>
internal static class ReplayResults
{
    public static ReplayResult Of(string policy, int blocks, double hitRate, double uniqueBlocks) => new()
    {
        Trace = "t",
        Policy = policy,
        CapacityBlocks = blocks,
        CapacityFraction = blocks / uniqueBlocks,
        TokenHitRate = hitRate,
        BlockHitRate = hitRate,
        Requests = 1,
        References = 1,
        InputTokens = 1,
        HitTokens = 0,
        ElapsedSeconds = 1,
        ReferencesPerSecond = 1,
        Tiers = [],
    };
}
