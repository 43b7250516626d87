using System.Diagnostics;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// The write-behind queue's backlog at each phase's start, drained before the phase begins: the mover at full speed
/// demotes far faster than flash takes the writes, so without this a phase would start with the previous one's queued
/// writes and measure that debt rather than its own threads. Records how many jobs were queued and how long they took
/// to land, one entry per phase.
/// </summary>
internal sealed class Backlog
{
    private readonly TieredKvStore _store;
    private readonly List<string> _phases = [];

    public Backlog(TieredKvStore store) => _store = store;

    /// <summary>Waits until every queued write-behind job has landed, then notes what there was before <paramref name="phase"/>.</summary>
    public void Drain(string phase)
    {
        int queued = _store.WriteBehindPending;
        long started = Stopwatch.GetTimestamp();
        while (_store.WriteBehindPending != 0)
        {
            Thread.Sleep(1);
        }

        if (queued > 0)
        {
            _phases.Add($"{phase} {queued} ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms)");
        }
    }

    /// <summary>One line: the jobs queued at each phase's start and how long they took to drain.</summary>
    public override string ToString() =>
        "write-behind jobs queued at a phase's start, drained before it began: " + (_phases.Count == 0 ? "none" : string.Join(", ", _phases));
}
