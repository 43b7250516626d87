using KvTiering.Cost;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Placement;

/// <summary>
/// Routes labelled blocks through a tier chain: which tier a new block enters (or whether it is admitted at all), how
/// high a hit may promote it, and whether a lower-tier hit is loaded or recomputed. Set it on
/// <c>KvStoreOptions.Router</c>; the store binds it to its tiers once, so each decision on the hot path is a table
/// lookup or one integer comparison.
/// </summary>
/// <remarks>
/// Load vs recompute uses <see cref="CostModel.LoadBeatsRecompute"/>: loading one block costs tier latency + bytes ÷
/// read bandwidth, recomputing it costs its prefill FLOPs at its depth ÷ (peak × MFU) on the cost model's accelerator.
/// Load time does not depend on depth and recompute time grows with it, so per tier there is one crossover depth
/// beyond which loading wins; the binding precomputes it. docs/placement.md gives the rules and their arithmetic.
/// </remarks>
public sealed class PlacementRouter
{
    private readonly Func<WorkloadLabels, IReadOnlyList<TierProfile>, int?>? _entryOverride;

    /// <summary>Creates a router.</summary>
    /// <param name="cost">The model on the accelerator that would recompute; null loads every hit.</param>
    /// <param name="tokensPerBlock">Tokens per block of the store it serves (the store checks this against its layout).</param>
    /// <param name="options">The rules (default: <see cref="PlacementRouterOptions"/>' defaults); copied, so later changes do not apply.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokensPerBlock"/> is not positive.</exception>
    public PlacementRouter(CostModel? cost, int tokensPerBlock, PlacementRouterOptions? options = null)
    {
        if (tokensPerBlock < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(tokensPerBlock), tokensPerBlock, $"Tokens per block {tokensPerBlock} must be positive.");
        }

        options ??= new PlacementRouterOptions();
        Cost = cost;
        TokensPerBlock = tokensPerBlock;
        BatchEntryKind = options.BatchEntryKind;
        BypassBatchWithoutLowerTier = options.BypassBatchWithoutLowerTier;
        LongContextSkipsSram = options.LongContextSkipsSram;
        CapPromotionAtEntryTier = options.CapPromotionAtEntryTier;
        EdgeComparesEnergy = options.EdgeComparesEnergy;
        RecomputeWhenCheaper = options.RecomputeWhenCheaper;
        _entryOverride = options.EntryOverride;
    }

    /// <summary>The cost model behind load-vs-recompute decisions, or null (every hit loads).</summary>
    public CostModel? Cost { get; }

    /// <summary>Tokens per block.</summary>
    public int TokensPerBlock { get; }

    /// <summary>See <see cref="PlacementRouterOptions.BatchEntryKind"/>.</summary>
    public TierKind BatchEntryKind { get; }

    /// <summary>See <see cref="PlacementRouterOptions.BypassBatchWithoutLowerTier"/>.</summary>
    public bool BypassBatchWithoutLowerTier { get; }

    /// <summary>See <see cref="PlacementRouterOptions.LongContextSkipsSram"/>.</summary>
    public bool LongContextSkipsSram { get; }

    /// <summary>See <see cref="PlacementRouterOptions.CapPromotionAtEntryTier"/>.</summary>
    public bool CapPromotionAtEntryTier { get; }

    /// <summary>See <see cref="PlacementRouterOptions.EdgeComparesEnergy"/>.</summary>
    public bool EdgeComparesEnergy { get; }

    /// <summary>See <see cref="PlacementRouterOptions.RecomputeWhenCheaper"/>.</summary>
    public bool RecomputeWhenCheaper { get; }

    /// <summary>
    /// The tier a new block with <paramref name="labels"/> enters in the chain <paramref name="tiers"/> (top first), or
    /// a bypass. Rules in order: the custom hook; long context skips SRAM; batch enters at or below
    /// <see cref="BatchEntryKind"/> (or bypasses, or takes the lowest tier); otherwise the top tier.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="tiers"/> is empty, or the custom hook names no tier of it.</exception>
    public PlacementDecision ChooseEntry(WorkloadLabels labels, IReadOnlyList<TierProfile> tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        if (tiers.Count == 0)
        {
            ThrowHelper.ThrowArgument(nameof(tiers), "A tier chain needs at least one tier.");
        }

        if (_entryOverride?.Invoke(labels, tiers) is { } custom)
        {
            if (custom < -1 || custom >= tiers.Count)
            {
                ThrowHelper.ThrowArgument(nameof(tiers),
                    $"The entry override chose tier {custom} for '{labels}'; the chain has tiers 0 to {tiers.Count - 1} (or -1 to bypass).");
            }

            return new PlacementDecision(custom < 0 ? PlacementAction.Bypass : PlacementAction.Admit, custom, PlacementReason.Custom);
        }

        int tier = 0;
        PlacementReason reason = PlacementReason.TopTier;
        if (LongContextSkipsSram && labels.Context == ContextLength.LongContext && tiers[0].Kind == TierKind.Sram)
        {
            int below = FirstTier(tiers, t => t.Kind != TierKind.Sram);
            if (below > 0)
            {
                (tier, reason) = (below, PlacementReason.LongContextBelowSram);
            }
        }

        if (labels.Latency == LatencyClass.Batch)
        {
            int low = FirstTier(tiers, t => t.Kind >= BatchEntryKind);
            if (low < 0)
            {
                if (BypassBatchWithoutLowerTier)
                {
                    return new PlacementDecision(PlacementAction.Bypass, -1, PlacementReason.BatchNoLowerTier);
                }

                (tier, reason) = (tiers.Count - 1, PlacementReason.BatchLowestTier);
            }
            else if (low >= tier)
            {
                (tier, reason) = (low, PlacementReason.BatchBelowAccelerator);
            }
        }

        return new PlacementDecision(PlacementAction.Admit, tier, reason);
    }

    /// <summary>
    /// Whether a hit on a block at <paramref name="depth"/> (blocks before it in its sequence) held in
    /// <paramref name="tier"/> is loaded or recomputed. Edge labels compare energy when the accelerator publishes a
    /// board power and <see cref="EdgeComparesEnergy"/> is set; everything else compares time.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is negative.</exception>
    public PlacementDecision ChooseLoad(WorkloadLabels labels, TierProfile tier, int depth)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        if (Cost is null)
        {
            return new PlacementDecision(PlacementAction.Load, -1, PlacementReason.NoCostModel);
        }

        bool energy = UsesEnergy(labels);
        bool load = !RecomputeWhenCheaper || LoadWins(tier, depth, energy);
        return new PlacementDecision(load ? PlacementAction.Load : PlacementAction.Recompute, -1, Reason(load, energy));
    }

    /// <summary>Binds the router to one store's tier chain, precomputing every decision the store asks for.</summary>
    internal RouterBinding Bind(IReadOnlyList<TierProfile> tiers) => new(this, tiers);

    internal bool UsesEnergy(WorkloadLabels labels) =>
        EdgeComparesEnergy && labels.Site == DeploymentSite.Edge && Cost?.Accelerator.ThermalDesignPowerWatts is not null;

    internal static PlacementReason Reason(bool load, bool energy) => (load, energy) switch
    {
        (true, false) => PlacementReason.LoadFaster,
        (false, false) => PlacementReason.RecomputeFaster,
        (true, true) => PlacementReason.LoadCheaperEnergy,
        (false, true) => PlacementReason.RecomputeCheaperEnergy,
    };

    /// <summary>Whether loading one block from <paramref name="tier"/> beats recomputing it at <paramref name="depth"/> blocks.</summary>
    internal bool LoadWins(TierProfile tier, int depth, bool energy)
    {
        CostModel cost = Cost!;
        int tokens = TokensPerBlock;
        int context = (int)Math.Min((long)depth * tokens, int.MaxValue - tokens);
        if (!energy)
        {
            return cost.LoadBeatsRecompute(tier, tokens, context);
        }

        return CostModel.LoadJoules(tier, cost.KvBytes(tokens)) < cost.RecomputeJoules(tokens, context)!.Value;
    }

    /// <summary>The deepest depth (in blocks) a block can have while its context still fits an int of tokens.</summary>
    internal int MaxDepth => (int.MaxValue - TokensPerBlock) / TokensPerBlock;

    private static int FirstTier(IReadOnlyList<TierProfile> tiers, Func<TierProfile, bool> match)
    {
        for (int i = 0; i < tiers.Count; i++)
        {
            if (match(tiers[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
