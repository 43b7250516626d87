using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// A persistent device that says which blocks its recovery found but dropped because their bytes failed verification,
/// so that the store can tell a read of one that its block was damaged, not evicted (<c>BlockMiss.Corrupt</c>).
/// </summary>
internal interface IDroppedAtRecovery
{
    /// <summary>
    /// The keys of the records the open found under a header it trusts and dropped because the rest failed: a payload
    /// that does not match its checksum (a torn or lost write, a flipped byte) or a seal that does not cover it; newest
    /// first. Not the records whose header itself fails (their key is not known, or on a sealed tier not trusted), nor
    /// older copies of a key a newer one replaced. Blocks the background verification drops later reach the store
    /// through <see cref="IDeferredRecovery.VerifyDeferred"/> instead.
    /// </summary>
    IReadOnlyList<BlockKey> DroppedAtRecovery { get; }
}
