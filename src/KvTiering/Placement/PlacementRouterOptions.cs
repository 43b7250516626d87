using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Placement;

/// <summary>The router's rules, each with a default docs/placement.md argues for; every one can be changed.</summary>
public sealed class PlacementRouterOptions
{
    /// <summary>
    /// Batch blocks enter the first tier of this kind or slower (kinds order fastest first: SRAM, HBM, GDDR, DRAM,
    /// flash, remote). Default <see cref="TierKind.Dram"/>: a one-off batch document stays off the accelerator.
    /// </summary>
    public TierKind BatchEntryKind { get; set; } = TierKind.Dram;

    /// <summary>
    /// When no tier is at or below <see cref="BatchEntryKind"/>: true (default) keeps batch blocks out of the store,
    /// false lets them into the lowest tier.
    /// </summary>
    public bool BypassBatchWithoutLowerTier { get; set; } = true;

    /// <summary>Long-context blocks enter the first tier below on-chip SRAM when the top tier is SRAM (default true).</summary>
    public bool LongContextSkipsSram { get; set; } = true;

    /// <summary>
    /// A hit promotes a block no higher than its labels' entry tier (default true), so a batch block re-read stays off
    /// the accelerator until an interactive put relabels it.
    /// </summary>
    public bool CapPromotionAtEntryTier { get; set; } = true;

    /// <summary>
    /// Edge-labelled hits compare modeled energy instead of time (default true); accelerators with no published board
    /// power fall back to time.
    /// </summary>
    public bool EdgeComparesEnergy { get; set; } = true;

    /// <summary>Report a lower-tier hit as a miss when recomputing beats loading (default true; false always loads).</summary>
    public bool RecomputeWhenCheaper { get; set; } = true;

    /// <summary>
    /// A rule ahead of the built-in ones: given the labels and the tier chain, the entry tier (-1: do not admit), or
    /// null to let the built-in rules decide. Evaluated once per label combination when a store binds the router,
    /// never on the hot path.
    /// </summary>
    public Func<WorkloadLabels, IReadOnlyList<TierProfile>, int?>? EntryOverride { get; set; }
}
