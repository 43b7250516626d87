using KvTiering.Cost;
using KvTiering.Placement;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Placement.PlacementTestKit;

namespace KvTiering.Tests.Placement;

public sealed class PlacementRouterTests
{
    private static readonly TierProfile[] HbmDramFlash = [TierProfiles.Hbm3, TierProfiles.Dram, TierProfiles.Flash];

    [Fact]
    public void Batch_enters_the_first_tier_off_the_accelerator_and_interactive_the_top()
    {
        PlacementRouter router = Router(16);
        Assert.Equal(new PlacementDecision(PlacementAction.Admit, 1, PlacementReason.BatchBelowAccelerator), router.ChooseEntry(Batch, HbmDramFlash));
        Assert.Equal(new PlacementDecision(PlacementAction.Admit, 0, PlacementReason.TopTier), router.ChooseEntry(Interactive, HbmDramFlash));
        Assert.Equal(0, router.ChooseEntry(WorkloadLabels.None, HbmDramFlash).Tier);

        // SRAM and HBM, then GDDR: still accelerator memory, so batch goes to the flash tier below it all.
        TierProfile[] accelerators = [TierProfiles.Sram, TierProfiles.Hbm3e, TierProfiles.Gddr7, TierProfiles.Flash];
        Assert.Equal(3, router.ChooseEntry(Batch, accelerators).Tier);
    }

    [Fact]
    public void Batch_with_no_tier_below_the_accelerator_is_bypassed_or_takes_the_lowest_tier()
    {
        TierProfile[] onChip = [TierProfiles.Sram, TierProfiles.Hbm3];
        Assert.Equal(new PlacementDecision(PlacementAction.Bypass, -1, PlacementReason.BatchNoLowerTier), Router(16).ChooseEntry(Batch, onChip));
        PlacementRouter keep = Router(16, options: new PlacementRouterOptions { BypassBatchWithoutLowerTier = false });
        Assert.Equal(new PlacementDecision(PlacementAction.Admit, 1, PlacementReason.BatchLowestTier), keep.ChooseEntry(Batch, onChip));
        PlacementRouter hbmIsFine = Router(16, options: new PlacementRouterOptions { BatchEntryKind = TierKind.Hbm });
        Assert.Equal(1, hbmIsFine.ChooseEntry(Batch, onChip).Tier);
    }

    [Fact]
    public void Long_context_skips_sram_unless_told_not_to()
    {
        TierProfile[] chain = [TierProfiles.Sram, TierProfiles.Hbm3e, TierProfiles.Dram];
        WorkloadLabels longContext = new(context: ContextLength.LongContext);
        Assert.Equal(new PlacementDecision(PlacementAction.Admit, 1, PlacementReason.LongContextBelowSram), Router(16).ChooseEntry(longContext, chain));
        Assert.Equal(2, Router(16).ChooseEntry(longContext.With(Batch), chain).Tier);
        Assert.Equal(0, Router(16, options: new PlacementRouterOptions { LongContextSkipsSram = false }).ChooseEntry(longContext, chain).Tier);
        Assert.Equal(0, Router(16).ChooseEntry(longContext, HbmDramFlash).Tier); // no SRAM on top: nothing to skip
    }

    [Fact]
    public void Entry_override_comes_first_and_is_checked()
    {
        var options = new PlacementRouterOptions
        {
            EntryOverride = (labels, tiers) => labels.Site == DeploymentSite.Edge ? tiers.Count - 1 : null,
        };
        PlacementRouter router = Router(16, options: options);
        Assert.Equal(new PlacementDecision(PlacementAction.Admit, 2, PlacementReason.Custom),
            router.ChooseEntry(new WorkloadLabels(site: DeploymentSite.Edge), HbmDramFlash));
        Assert.Equal(1, router.ChooseEntry(Batch, HbmDramFlash).Tier);
        PlacementRouter broken = Router(16, options: new PlacementRouterOptions { EntryOverride = (_, _) => 7 });
        Assert.Contains("tier 7", Assert.Throws<ArgumentException>(() => broken.ChooseEntry(Batch, HbmDramFlash)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_one_token_flash_hit_is_recomputed_when_shallow_and_loaded_when_deep()
    {
        // Flash: 60 µs + 131,072 B ÷ 14 GB/s = 69.4 µs. Recompute of one token on H100 at 0.45 MFU:
        // (2·8.03e9 + 4·32·4096·(C + 0.5)) ÷ 4.45e14 = 36.1 µs at C = 0, crossing 69.4 µs near C = 28,246 (docs/cost-model.md).
        PlacementRouter router = Router(1);
        Assert.Equal(new PlacementDecision(PlacementAction.Recompute, -1, PlacementReason.RecomputeFaster), router.ChooseLoad(Interactive, TierProfiles.Flash, 0));
        Assert.Equal(PlacementAction.Recompute, router.ChooseLoad(Interactive, TierProfiles.Flash, 28_000).Action);
        Assert.Equal(new PlacementDecision(PlacementAction.Load, -1, PlacementReason.LoadFaster), router.ChooseLoad(Interactive, TierProfiles.Flash, 28_500));
        Assert.Equal(PlacementAction.Load, router.ChooseLoad(Interactive, TierProfiles.Dram, 0).Action); // DRAM: 7.0 µs

        int crossover = RouterBinding.Crossover(router, TierProfiles.Flash, energy: false);
        Assert.InRange(crossover, 28_000, 28_500);
        var cost = router.Cost!;
        Assert.True(cost.LoadBeatsRecompute(TierProfiles.Flash, 1, crossover));
        Assert.False(cost.LoadBeatsRecompute(TierProfiles.Flash, 1, crossover - 1));
    }

    [Fact]
    public void A_dram_hit_of_a_long_context_is_loaded_at_every_depth()
    {
        // A 16-token block from DRAM: 5 µs + 2 MiB ÷ 64 GB/s = 37.8 µs, against ≥ 578 µs of recompute on H100.
        PlacementRouter router = Router(16);
        WorkloadLabels longContext = new(context: ContextLength.LongContext, latency: LatencyClass.Interactive);
        foreach (int depth in new[] { 0, 1, 2_000, 100_000 })
        {
            Assert.Equal(PlacementAction.Load, router.ChooseLoad(longContext, TierProfiles.Dram, depth).Action);
        }

        Assert.Equal(0, RouterBinding.Crossover(router, TierProfiles.Dram, energy: false));
    }

    [Fact]
    public void Edge_compares_energy_where_the_accelerator_publishes_power_and_time_elsewhere()
    {
        WorkloadLabels edge = new(site: DeploymentSite.Edge);
        // H100: 0.17 mJ to read a token from flash against ≤ 36 µs × 700 W = 25 mJ to recompute it.
        Assert.Equal(new PlacementDecision(PlacementAction.Load, -1, PlacementReason.LoadCheaperEnergy), Router(1).ChooseLoad(edge, TierProfiles.Flash, 0));
        // TPU v6e publishes no board power: time decides, and 38.9 µs of recompute beats 69.4 µs of flash.
        Assert.Equal(new PlacementDecision(PlacementAction.Recompute, -1, PlacementReason.RecomputeFaster),
            Router(1, AcceleratorProfiles.TpuV6e).ChooseLoad(edge, TierProfiles.Flash, 0));
        PlacementRouter timeOnly = Router(1, options: new PlacementRouterOptions { EdgeComparesEnergy = false });
        Assert.Equal(PlacementAction.Recompute, timeOnly.ChooseLoad(edge, TierProfiles.Flash, 0).Action);
    }

    [Fact]
    public void Without_a_cost_model_or_with_recompute_off_every_hit_loads()
    {
        var noCost = new PlacementRouter(null, 1);
        Assert.Equal(new PlacementDecision(PlacementAction.Load, -1, PlacementReason.NoCostModel), noCost.ChooseLoad(Interactive, TierProfiles.Flash, 0));
        PlacementRouter off = Router(1, options: new PlacementRouterOptions { RecomputeWhenCheaper = false });
        Assert.Equal(PlacementAction.Load, off.ChooseLoad(Interactive, TierProfiles.Flash, 0).Action);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlacementRouter(null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Router(1).ChooseLoad(Interactive, TierProfiles.Flash, -1));
    }

    [Fact]
    public void The_binding_agrees_with_the_direct_decision_around_every_crossover()
    {
        foreach (AcceleratorProfile accelerator in AcceleratorProfiles.All)
        {
            PlacementRouter router = Router(1, accelerator);
            RouterBinding binding = router.Bind(HbmDramFlash);
            foreach (WorkloadLabels labels in new[] { Interactive, new WorkloadLabels(site: DeploymentSite.Edge) })
            {
                for (int tier = 0; tier < HbmDramFlash.Length; tier++)
                {
                    int c = RouterBinding.Crossover(router, HbmDramFlash[tier], router.UsesEnergy(labels));
                    foreach (int depth in new[] { 0, 1, c - 1, c, c + 1, 50_000 })
                    {
                        if (depth < 0 || depth == int.MaxValue)
                        {
                            continue;
                        }

                        bool load = binding.ShouldLoad(tier, depth, labels, out PlacementReason reason);
                        PlacementDecision direct = router.ChooseLoad(labels, HbmDramFlash[tier], depth);
                        Assert.Equal(direct.Action == PlacementAction.Load, load);
                        Assert.Equal(direct.Reason, reason);
                    }
                }
            }
        }
    }
}
