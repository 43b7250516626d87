using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// What a snapshot piece's missed read means for the snapshot, from the cause the store gave (<see cref="BlockMiss"/>):
/// bytes that failed verification make it corrupt; a piece the store did not hold (evicted, removed) or whose device
/// lost it (a remote server that restarted empty) make it missing; a device not reached just now leaves it for the
/// next restore.
/// </summary>
/// <remarks>
/// The cause is the read's own, so another caller's read failing at the same moment (a queued request's prefetch)
/// changes nothing here. Before, the restore told corrupt from missing by the store's checksum-failure count around
/// its reads, and such a failure made a gone piece count corrupt.
/// </remarks>
internal static class PieceMisses
{
    /// <summary>The load result of a snapshot whose piece missed for <paramref name="miss"/>.</summary>
    public static LoadResult Of(BlockMiss miss) => miss switch
    {
        BlockMiss.Corrupt => LoadResult.Corrupt,
        BlockMiss.Unreachable => LoadResult.Unreachable,
        _ => LoadResult.Missing, // not resident, or lost by its device
    };
}
