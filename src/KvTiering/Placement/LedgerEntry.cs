using KvTiering.Blocks;

namespace KvTiering.Placement;

/// <summary>One placement decision or block movement, as the placement ledger records it.</summary>
/// <param name="Sequence">Position in the ledger's whole history (0 = first recorded), gap-free.</param>
/// <param name="TimeSeconds">The store's clock: replay time in the harness, seconds since the store opened otherwise.</param>
/// <param name="Action">What happened.</param>
/// <param name="Reason">Why.</param>
/// <param name="Key">The block.</param>
/// <param name="Session">The block's session (0 when unknown).</param>
/// <param name="Depth">The block's position in its sequence (-1 when unknown).</param>
/// <param name="FromTier">The tier it came from; -1 for outside the store.</param>
/// <param name="ToTier">The tier it went to (or the tier that declined or was read); -1 for outside the store.</param>
/// <param name="Labels">The block's workload labels at the time.</param>
public readonly record struct LedgerEntry(long Sequence, double TimeSeconds, PlacementAction Action, PlacementReason Reason,
    BlockKey Key, long Session, int Depth, int FromTier, int ToTier, WorkloadLabels Labels)
{
    /// <summary>Whether the entry changed where the block lives (admit, promote, demote, evict, recompute, drop, remove, recover).</summary>
    public bool IsMove => Action is PlacementAction.Admit or PlacementAction.Promote or PlacementAction.Demote
        or PlacementAction.Evict or PlacementAction.Recompute or PlacementAction.Drop or PlacementAction.Remove
        or PlacementAction.Recover;
}
