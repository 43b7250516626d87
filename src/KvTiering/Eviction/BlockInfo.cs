using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>What a policy knows of a block that asks to enter its tier.</summary>
/// <param name="Key">The block's key.</param>
/// <param name="Parent">The parent's key (<see cref="BlockKey.Empty"/> for a sequence's first block).</param>
/// <param name="ParentHandle">The parent's handle in this tier, or -1 when the parent is not in this tier.</param>
/// <param name="Depth">Position of the block in its sequence (0 for the first block).</param>
/// <param name="Session">The session it belongs to (0 when unknown).</param>
/// <param name="Size">Payload bytes (0 in metadata-only mode).</param>
/// <param name="NextUse">The time of its next use when an oracle knows it (the harness's Belady), else <see cref="long.MaxValue"/>.</param>
/// <param name="IsDemotion">True when the block comes down from a higher tier rather than from a new put.</param>
public readonly record struct BlockInfo(
    BlockKey Key, BlockKey Parent, int ParentHandle, int Depth, long Session, int Size, long NextUse, bool IsDemotion);
