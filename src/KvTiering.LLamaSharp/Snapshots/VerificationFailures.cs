using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// How many blocks the store has dropped, over all its tiers, because their bytes failed verification
/// (<see cref="TierStatistics.ChecksumFailures"/>): read before and after a snapshot's pieces are read, it tells a piece
/// whose bytes were bad (corrupt) from one that was simply gone (evicted, or lost with a remote server that restarted
/// empty), which the store's reads both answer as a miss.
/// </summary>
/// <remarks>
/// The store counts a read's cause per tier (<c>IReadFailureReporting</c>, faults25: only a device that says a block is
/// lost or unreachable has it counted apart), but its reads return only hit or miss. Other callers' reads between the
/// two counts (a queued request's prefetch) may add a checksum failure of their own: then a gone piece counts as
/// corrupt, as every gone piece did before; a corrupt one is never counted as merely gone.
/// </remarks>
internal static class VerificationFailures
{
    /// <summary>The store's checksum failures so far, all tiers together.</summary>
    public static long Count(TieredKvStore store)
    {
        long failures = 0;
        foreach (TierStatistics tier in store.GetStatistics().Tiers)
        {
            failures += tier.ChecksumFailures;
        }

        return failures;
    }
}
