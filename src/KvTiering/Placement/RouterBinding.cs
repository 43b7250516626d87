using System.Runtime.CompilerServices;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Placement;

/// <summary>
/// A router bound to one store's tier chain: the entry tier of every label combination and, per tier, the depth
/// from which loading beats recomputing, all computed once so the store's hot path only looks them up.
/// </summary>
internal sealed class RouterBinding
{
    private readonly sbyte[] _entry = new sbyte[WorkloadLabels.Combinations];
    private readonly PlacementReason[] _entryReason = new PlacementReason[WorkloadLabels.Combinations];
    private readonly int[] _timeCrossover;
    private readonly int[] _energyCrossover;
    private readonly int _lastTier;

    public RouterBinding(PlacementRouter router, IReadOnlyList<TierProfile> tiers)
    {
        Router = router;
        _lastTier = tiers.Count - 1;
        for (int code = 0; code < WorkloadLabels.Combinations; code++)
        {
            PlacementDecision d = router.ChooseEntry(WorkloadLabels.FromCode(code), tiers);
            _entry[code] = (sbyte)d.Tier;
            _entryReason[code] = d.Reason;
        }

        _timeCrossover = new int[tiers.Count];
        _energyCrossover = new int[tiers.Count];
        bool hasPower = router.Cost?.Accelerator.ThermalDesignPowerWatts is not null;
        for (int t = 0; t < tiers.Count; t++)
        {
            _timeCrossover[t] = router.Cost is null ? 0 : Crossover(router, tiers[t], energy: false);
            _energyCrossover[t] = hasPower ? Crossover(router, tiers[t], energy: true) : _timeCrossover[t];
        }
    }

    public PlacementRouter Router { get; }

    /// <summary>The entry tier for <paramref name="labels"/>, or -1 when the block is not admitted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int EntryTier(WorkloadLabels labels, out PlacementReason reason)
    {
        reason = _entryReason[labels.Code];
        return _entry[labels.Code];
    }

    /// <summary>The highest tier a hit may promote a block with <paramref name="labels"/> to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PromotionCeiling(WorkloadLabels labels)
    {
        if (!Router.CapPromotionAtEntryTier)
        {
            return 0;
        }

        int entry = _entry[labels.Code];
        return entry < 0 ? _lastTier : entry;
    }

    /// <summary>Whether a hit at <paramref name="depth"/> blocks in <paramref name="tier"/> is loaded; false: recompute.</summary>
    public bool ShouldLoad(int tier, int depth, WorkloadLabels labels, out PlacementReason reason)
    {
        if (Router.Cost is null)
        {
            reason = PlacementReason.NoCostModel;
            return true;
        }

        bool energy = Router.UsesEnergy(labels);
        bool load = !Router.RecomputeWhenCheaper || Math.Max(depth, 0) >= (energy ? _energyCrossover[tier] : _timeCrossover[tier]);
        reason = PlacementRouter.Reason(load, energy);
        return load;
    }

    /// <summary>The smallest depth in blocks at which loading from <paramref name="tier"/> wins; int.MaxValue: never.</summary>
    /// <remarks>Recompute cost grows monotonically with depth while load cost is constant, so a binary search finds it.</remarks>
    internal static int Crossover(PlacementRouter router, TierProfile tier, bool energy)
    {
        if (router.LoadWins(tier, 0, energy))
        {
            return 0;
        }

        int hi = router.MaxDepth;
        if (!router.LoadWins(tier, hi, energy))
        {
            return int.MaxValue;
        }

        int lo = 0; // loses at lo, wins at hi
        while (hi - lo > 1)
        {
            int mid = lo + ((hi - lo) / 2);
            if (router.LoadWins(tier, mid, energy))
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }
}
