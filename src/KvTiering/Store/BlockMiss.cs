namespace KvTiering.Store;

/// <summary>
/// Why a read of the store missed (<see cref="BlockRead.Miss"/>, or the <c>miss</c> of
/// <see cref="TieredKvStore.TryGet(in Blocks.BlockKey, Span{byte}, out int, out int, out BlockMiss)"/>). The store learns
/// a device's cause only from a device that declares <see cref="Devices.IReadFailureReporting"/>; a device that does
/// not say why has its miss answered <see cref="Corrupt"/>, as the store counts and logs it (a checksum failure).
/// </summary>
public enum BlockMiss : byte
{
    /// <summary>Not a miss: the read found the block (or a <see cref="BlockRead"/> that no read filled in).</summary>
    None = 0,

    /// <summary>
    /// The store held no such block when it was read: never put, evicted, removed, dropped earlier by a read that
    /// failed, still being put, or dropped by placement to be recomputed. A shared remote tier the store asked did not
    /// have it either. (A block a persistent tier found damaged and dropped when it opened is <see cref="Corrupt"/>.)
    /// </summary>
    NotResident = 1,

    /// <summary>
    /// The block was resident, but its bytes failed verification on this read (checksum, seal, a header that is not
    /// the block's), or its device did not say why it failed (<see cref="Devices.ReadFailure.Unknown"/>). The store
    /// dropped it and counted a checksum failure. Also a block the store did not hold whose shared tier's copy failed
    /// verification when fetched (<see cref="Devices.IRemoteBlockSource.TryFetch"/>: damaged or forged; the tier
    /// deleted it, and the store counted a checksum failure of that tier). Also a block the store does not hold because
    /// a persistent tier found its record damaged and dropped it when it opened (or verified it in the background
    /// after), until the key is put again; the tier counted it then (a lost write or an authentication failure), not
    /// the store's checksum failures.
    /// </summary>
    Corrupt = 2,

    /// <summary>
    /// The block was resident, but its device no longer had it (<see cref="Devices.ReadFailure.Lost"/>: a slot emptied
    /// or overwritten, a remote server that evicted it or restarted empty). The store dropped it.
    /// </summary>
    Lost = 3,

    /// <summary>
    /// The block is resident, but its device could not be reached just now (<see cref="Devices.ReadFailure.Unreachable"/>:
    /// a remote tier down, timing out or backing off). The store keeps it, and a later read may find it. Also a block
    /// the store does not hold whose shared tier could not be asked (<see cref="Devices.IRemoteBlockSource.TryFetch"/>):
    /// that tier may hold it, so a later read may find it there.
    /// </summary>
    Unreachable = 4,
}
