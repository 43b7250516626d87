namespace KvTiering.Store;

/// <summary>
/// How the calling thread's lookups left the lock-free fast path since <see cref="Reset"/>: lock-free tries after the
/// first (a writer interrupted the read) and reads that fell back to the lock. The contention program reads it around
/// each hit to split the hit thread's time by outcome (issue #18). Written only on the slow paths, so a hit that the
/// first lock-free try answers pays nothing.
/// </summary>
internal static class LookupTrace
{
    [ThreadStatic]
    private static int t_retries;

    [ThreadStatic]
    private static int t_lockedReads;

    /// <summary>Lock-free tries after the first, on this thread since <see cref="Reset"/>.</summary>
    public static int Retries => t_retries;

    /// <summary>Lookups that took the locked reader, on this thread since <see cref="Reset"/>.</summary>
    public static int LockedReads => t_lockedReads;

    /// <summary>Starts counting again on this thread.</summary>
    public static void Reset()
    {
        t_retries = 0;
        t_lockedReads = 0;
    }

    /// <summary>Books <paramref name="tries"/> more lock-free tries.</summary>
    public static void AddRetries(int tries) => t_retries += tries;

    /// <summary>Books a lookup that fell back to the lock.</summary>
    public static void AddLockedRead() => t_lockedReads++;
}
