using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>Placement when the store has neither router nor ledger: every block enters the top tier, every hit loads, nothing is recorded.</summary>
internal sealed class NoPlacementHooks : IPlacementHooks
{
    public static readonly NoPlacementHooks Instance = new();

    private NoPlacementHooks()
    {
    }

    public bool Routes => false;

    public int EntryTier(in BlockKey key, in BlockContext context, out PlacementReason reason)
    {
        reason = PlacementReason.TopTier;
        return 0;
    }

    public int PromotionCeiling(int e) => 0;

    public bool LoadsOnHit(int e, Tier tier, out PlacementReason reason)
    {
        reason = default;
        return true;
    }

    public bool ShouldLoad(int tier, int depth, WorkloadLabels labels, out PlacementReason reason)
    {
        reason = default;
        return true;
    }

    public PlacementReason RecomputeReason(WorkloadLabels labels) => default;

    public void Note(PlacementAction action, PlacementReason reason, int e, int from, int to)
    {
    }

    public void Record(PlacementAction action, PlacementReason reason, int e, int from, int to, WorkloadLabels labels)
    {
    }
}
