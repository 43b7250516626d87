using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// What the tier chain asks placement: where a new block enters, how high a hit may promote it, whether a lower-tier
/// hit is loaded or recomputed, and a ledger line for every move. <see cref="NoPlacementHooks"/> answers "top tier,
/// always load, record nothing" when the store has neither router nor ledger, so the chain never asks whether there is
/// one; <see cref="PlacementHooks"/> binds a <see cref="PlacementRouter"/> and a <see cref="PlacementLedger"/>.
/// </summary>
/// <remarks>The null-object pattern (Woolf, "Null Object", PLoP 1996). Every member is called under the store's lock.</remarks>
internal interface IPlacementHooks
{
    /// <summary>Whether a router decides entry tiers and loads (a request's prefix is then routed block by block).</summary>
    bool Routes { get; }

    /// <summary>The tier a new block enters, or -1 when it is kept out of the store (the bypass is recorded).</summary>
    int EntryTier(in BlockKey key, in BlockContext context, out PlacementReason reason);

    /// <summary>The highest tier (smallest index) a hit may promote entry <paramref name="e"/> to.</summary>
    int PromotionCeiling(int e);

    /// <summary>
    /// Whether a hit on entry <paramref name="e"/> in lower tier <paramref name="tier"/> loads it (recorded); false
    /// when recomputing wins, and <paramref name="reason"/> says why.
    /// </summary>
    bool LoadsOnHit(int e, Tier tier, out PlacementReason reason);

    /// <summary>Whether a prefix block at <paramref name="depth"/> in <paramref name="tier"/> is loaded; only when <see cref="Routes"/>.</summary>
    bool ShouldLoad(int tier, int depth, WorkloadLabels labels, out PlacementReason reason);

    /// <summary>Why a request's prefix blocks are recomputed; only when <see cref="Routes"/>.</summary>
    PlacementReason RecomputeReason(WorkloadLabels labels);

    /// <summary>Records a move of entry <paramref name="e"/> with its own labels.</summary>
    void Note(PlacementAction action, PlacementReason reason, int e, int from, int to);

    /// <summary>Records a move of entry <paramref name="e"/> with the given labels.</summary>
    void Record(PlacementAction action, PlacementReason reason, int e, int from, int to, WorkloadLabels labels);
}
