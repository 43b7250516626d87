namespace KvTiering.Store;

/// <summary>
/// How the calling thread's lookups left the lock-free fast path since <see cref="Reset"/>: lock-free tries after the
/// first (a writer interrupted the read), reads that fell back to the lock, and, when switched on, the time the
/// lock-free copies themselves took. The contention program reads it around each hit to split the hit thread's time
/// by outcome (issue #18). Written only on the slow paths, so a hit that the first lock-free try answers pays nothing;
/// the copy timer is off unless the <see cref="CopyTimingSwitch"/> app-context switch is set before the store is
/// built, and the JIT then drops it as dead code (a static readonly field of an initialized class is a constant).
/// </summary>
internal static class LookupTrace
{
    /// <summary>The <see cref="AppContext"/> switch that times every lock-free payload copy (diagnostics only).</summary>
    public const string CopyTimingSwitch = "KvTiering.Store.TimeLockFreeCopies";

    /// <summary>Whether lock-free payload copies are timed (read once, when the class is first used).</summary>
    public static readonly bool TimesCopies = AppContext.TryGetSwitch(CopyTimingSwitch, out bool on) && on;

    [ThreadStatic]
    private static int t_retries;

    [ThreadStatic]
    private static int t_lockedReads;

    [ThreadStatic]
    private static long t_copyTicks;

    /// <summary>Lock-free tries after the first, on this thread since <see cref="Reset"/>.</summary>
    public static int Retries => t_retries;

    /// <summary>Lookups that took the locked reader, on this thread since <see cref="Reset"/>.</summary>
    public static int LockedReads => t_lockedReads;

    /// <summary>Stopwatch ticks this thread spent in lock-free payload copies since <see cref="Reset"/> (0 unless <see cref="TimesCopies"/>).</summary>
    public static long CopyTicks => t_copyTicks;

    /// <summary>Starts counting again on this thread.</summary>
    public static void Reset()
    {
        t_retries = 0;
        t_lockedReads = 0;
        t_copyTicks = 0;
    }

    /// <summary>Books <paramref name="tries"/> more lock-free tries.</summary>
    public static void AddRetries(int tries) => t_retries += tries;

    /// <summary>Books a lookup that fell back to the lock.</summary>
    public static void AddLockedRead() => t_lockedReads++;

    /// <summary>Books a lock-free payload copy that took <paramref name="ticks"/>.</summary>
    public static void AddCopy(long ticks) => t_copyTicks += ticks;
}
