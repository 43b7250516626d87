namespace KvTiering.Diagnostics;

/// <summary>
/// Decides which of a run of repeated failures reach the log: per run (one per tier), the first failure is logged in
/// full, the ones after it within the interval are only counted, and the first after the interval is logged as one
/// summary of them all. A failure after a quiet interval is news again. Shared by <see cref="WriteFailureLog"/> and
/// <c>PromotionFailureLog</c>, which differ only in what they write.
/// </summary>
/// <remarks>
/// The summary is written by the next failure after the interval, not by a timer, so a run that stops leaves its last
/// count to the failure counter. Thread-safe: failures come from callers' threads and the write-behind worker.
/// </remarks>
internal sealed class FailureRuns
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Run[] _runs;

    /// <param name="time">The store's clock.</param>
    /// <param name="runs">How many runs to keep apart (a store's tiers).</param>
    /// <param name="interval">The least time between two log lines of one run.</param>
    public FailureRuns(TimeProvider time, int runs, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
        _runs = new Run[Math.Max(runs, 1)];
        for (int i = 0; i < _runs.Length; i++)
        {
            _runs[i] = new Run();
        }
    }

    /// <summary>Counts a failure of run <paramref name="index"/> and says whether to log it.</summary>
    /// <param name="index">The run (a tier's index; out-of-range indices share the last run).</param>
    /// <param name="heldBack">When logging: how many failures were only counted since the last line (0: log this one in full).</param>
    /// <param name="seconds">When logging a summary: the seconds since the run's last line.</param>
    /// <returns>False when the failure is only counted toward the next summary.</returns>
    public bool ShouldLog(int index, out long heldBack, out double seconds)
    {
        Run run = _runs[Math.Min((uint)index, (uint)_runs.Length - 1)];
        long now = _time.GetTimestamp();
        lock (run)
        {
            if (run.Logged && now - run.LastLogged < _intervalTicks)
            {
                run.HeldBack++;
                heldBack = 0;
                seconds = 0;
                return false;
            }

            heldBack = run.HeldBack;
            seconds = run.Logged ? (now - run.LastLogged) / (double)_time.TimestampFrequency : 0;
            run.HeldBack = 0;
            run.Logged = true;
            run.LastLogged = now;
            return true;
        }
    }

    /// <summary>One run of failures: when its last line was logged, and how many were held back since.</summary>
    private sealed class Run
    {
        public bool Logged;
        public long LastLogged;
        public long HeldBack;
    }
}
