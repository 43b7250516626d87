using KvTiering.Simulation.Traces;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Replays a trace through a metadata-only <see cref="TieredKvStore"/> — the very store a server embeds — and
/// measures hit rates with exact, documented semantics (docs/harness.md): a request's prefix hit is the number of its
/// leading blocks all resident at arrival; then every block is offered in request order. Where the trace records
/// how responses ended, each one reaches the store as a session hint when the response ends (<see cref="HintSchedule"/>).
/// </summary>
public static class Replayer
{
    /// <summary>The high half of every replayed key: block id <c>i</c> becomes key (i + 1, this).</summary>
    internal const ulong KeyNamespace = 0x4B76_5469_6572_5250UL;

    /// <summary>Replays one configuration.</summary>
    public static ReplayResult Run(Trace trace, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        return Run(trace, options, NextUseIndex.Build(trace));
    }

    /// <summary>Replays every configuration, in parallel on up to <paramref name="maxParallelism"/> cores.</summary>
    public static IReadOnlyList<ReplayResult> RunMany(Trace trace, IReadOnlyList<ReplayOptions> runs, int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(runs);
        NextUseIndex oracle = NextUseIndex.Build(trace);
        var results = new ReplayResult[runs.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, runs.Count, parallel, i => results[i] = Run(trace, runs[i], oracle));
        return results;
    }

    /// <summary>
    /// Replays one configuration against a prebuilt oracle: the store is built first (<see cref="PreparedReplay.Prepare"/>),
    /// then the replay loop alone is timed (<see cref="PreparedReplay.Execute"/>), the same two steps ReplayBenchmarks times
    /// apart.
    /// </summary>
    internal static ReplayResult Run(Trace trace, ReplayOptions options, NextUseIndex oracle)
    {
        using PreparedReplay replay = PreparedReplay.Prepare(trace, options, oracle);
        return replay.Execute();
    }
}
