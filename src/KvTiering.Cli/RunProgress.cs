using Stopwatch = System.Diagnostics.Stopwatch;
using System.Globalization;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Cli;

/// <summary>
/// Replays every run and, on stderr, reports each one as it finishes with an estimate of the time left — only once a
/// second has passed, so short runs stay silent.
/// </summary>
internal static class RunProgress
{
    public static IReadOnlyList<ReplayResult> RunMany(Trace trace, IReadOnlyList<ReplayOptions> runs, int parallel, TextWriter? stderr)
    {
        if (stderr is null || runs.Count == 1)
        {
            return Replayer.RunMany(trace, runs, parallel);
        }

        // The same loop as Replayer.RunMany (one oracle shared by every run), reporting each run as it finishes.
        NextUseIndex oracle = NextUseIndex.Build(trace);
        var results = new ReplayResult[runs.Count];
        var clock = Stopwatch.StartNew();
        int done = 0;
        var gate = new Lock();
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallel > 0 ? parallel : Environment.ProcessorCount };
        Parallel.For(0, runs.Count, options, i =>
        {
            results[i] = Replayer.Run(trace, runs[i], oracle);
            lock (gate)
            {
                done++;
                double elapsed = clock.Elapsed.TotalSeconds;
                if (elapsed >= 1)
                {
                    double left = elapsed / done * (runs.Count - done);
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"kvtier: [{done}/{runs.Count}] {results[i].Policy} at {results[i].CapacityBlocks:N0} blocks: {results[i].TokenHitRate:F4} ({elapsed:F0} s, about {left:F0} s left)"));
                }
            }
        });
        return results;
    }
}
