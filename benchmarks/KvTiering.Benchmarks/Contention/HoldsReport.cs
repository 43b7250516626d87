using System.Diagnostics;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>The contention program's <c>holds</c> flag: who held the store's lock during a phase (<see cref="LockHolds"/>).</summary>
internal static class HoldsReport
{
    /// <summary>Starts recording lock holds for the next phase when diagnosing; null otherwise.</summary>
    public static LockHoldRecorder? Record(bool diagnose)
    {
        LockHoldRecorder? holds = diagnose ? new LockHoldRecorder() : null;
        LockHolds.Recorder = holds;
        return holds;
    }

    /// <summary>Who held the store's lock during a phase: per call site and thread, the holds and the waits for the lock.</summary>
    public static void Print(string phase, LockHoldRecorder holds, double seconds)
    {
        Console.WriteLine($"lock holds, {phase} ({seconds:0.0} s): | site | thread | holds | mean µs | p99 µs (≤, log2) | max µs | held ms | waited ms |");
        foreach (LockSite site in holds.Sites)
        {
            double us = 1e6 / Stopwatch.Frequency;
            Console.WriteLine($"| {site.Site} | {site.Thread} | {site.Count} | {site.HeldTicks * us / site.Count:0.0} | " +
                $"{site.HoldQuantileMicroseconds(0.99):0} | {site.MaxHeldTicks * us:0} | {site.HeldTicks * us / 1000:0.0} | {site.WaitedTicks * us / 1000:0.0} |");
        }
    }
}
