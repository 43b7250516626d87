using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Placement with a router, a ledger, or both: the router's decisions, precomputed per label combination by its
/// <see cref="RouterBinding"/>, and a ledger line for every move.
/// </summary>
internal sealed class PlacementHooks : IPlacementHooks
{
    private readonly BlockTable _table;
    private readonly StoreClock _clock;
    private readonly RouterBinding? _routing;
    private readonly PlacementLedger? _ledger;

    private PlacementHooks(BlockTable table, StoreClock clock, RouterBinding? routing, PlacementLedger? ledger)
    {
        _table = table;
        _clock = clock;
        _routing = routing;
        _ledger = ledger;
    }

    /// <summary>The hooks for <paramref name="router"/> and <paramref name="ledger"/>; the null object when both are null.</summary>
    /// <exception cref="ArgumentException">The router prices blocks of another size than the layout's.</exception>
    public static IPlacementHooks Create(BlockTable table, StoreClock clock, Tier[] tiers, KvLayout? layout,
        PlacementRouter? router, PlacementLedger? ledger)
    {
        if (router is null && ledger is null)
        {
            return NoPlacementHooks.Instance;
        }

        if (router is not null && layout is not null && layout.TokensPerBlock != router.TokensPerBlock)
        {
            ThrowHelper.ThrowArgument("options",
                $"The placement router prices {router.TokensPerBlock}-token blocks; the store's layout has {layout.TokensPerBlock}-token blocks.");
        }

        RouterBinding? routing = router?.Bind([.. tiers.Select(t => t.Profile)]);
        return new PlacementHooks(table, clock, routing, ledger);
    }

    public bool Routes => _routing is not null;

    public int EntryTier(in BlockKey key, in BlockContext context, out PlacementReason reason)
    {
        if (_routing is null)
        {
            reason = PlacementReason.TopTier;
            return 0;
        }

        int start = _routing.EntryTier(context.Labels, out reason);
        if (start < 0)
        {
            _ledger?.Record(PlacementAction.Bypass, reason, key, context.Session, context.Depth, -1, -1, context.Labels, _clock.NowSeconds);
        }

        return start;
    }

    public int PromotionCeiling(int e) => _routing is null ? 0 : _routing.PromotionCeiling(_table.Labels[e]);

    public bool LoadsOnHit(int e, Tier tier, out PlacementReason reason)
    {
        reason = default;
        if (_routing is null)
        {
            return true;
        }

        if (_table.Pins[e] > 0)
        {
            Note(PlacementAction.Load, PlacementReason.Pinned, e, tier.Index, tier.Index);
            return true;
        }

        WorkloadLabels labels = _table.Labels[e];
        if (_routing.ShouldLoad(tier.Index, _table.Depth[e], labels, out reason))
        {
            Record(PlacementAction.Load, reason, e, tier.Index, tier.Index, labels);
            return true;
        }

        return false;
    }

    public bool ShouldLoad(int tier, int depth, WorkloadLabels labels, out PlacementReason reason) =>
        _routing!.ShouldLoad(tier, depth, labels, out reason);

    public PlacementReason RecomputeReason(WorkloadLabels labels) =>
        PlacementRouter.Reason(load: false, _routing!.Router.UsesEnergy(labels));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Note(PlacementAction action, PlacementReason reason, int e, int from, int to)
    {
        if (_ledger is not null)
        {
            Write(action, reason, e, from, to, _table.Labels[e]);
        }
    }

    public void Record(PlacementAction action, PlacementReason reason, int e, int from, int to, WorkloadLabels labels)
    {
        if (_ledger is not null)
        {
            Write(action, reason, e, from, to, labels);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Write(PlacementAction action, PlacementReason reason, int e, int from, int to, WorkloadLabels labels) =>
        _ledger!.Record(action, reason, _table.Keys[e], _table.Session[e], _table.Depth[e], from, to, labels, _clock.NowSeconds);
}
