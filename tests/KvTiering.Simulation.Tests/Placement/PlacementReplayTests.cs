using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Simulation.Placement;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Tests.Replay;
using KvTiering.Simulation.Traces;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Tests.Placement;

public sealed class PlacementReplayTests
{
    private static ReplayOptions Options(TierSpec[] tiers, LabelRule? labels = null, bool route = false, PlacementLedger? ledger = null) => new()
    {
        Policy = EvictionPolicy.Lru,
        Tiers = tiers,
        Model = ModelPresets.Llama31_8B,
        Labels = labels,
        Routing = route ? new PlacementRouterOptions() : null,
        Ledger = ledger,
    };

    [Fact]
    public void Labels_without_routing_change_no_number_and_split_requests_by_class()
    {
        Trace trace = TestTraces.GrowingSessions(3);
        TierSpec[] tiers = [new(TierProfiles.Hbm3, 20), new(TierProfiles.Dram, 60)];
        ReplayResult plain = Replayer.Run(trace, Options(tiers));
        ReplayResult labelled = Replayer.Run(trace, Options(tiers, LabelRule.Parse("context:200")));

        Assert.Equal(plain.HitTokens, labelled.HitTokens);
        Assert.Equal(plain.ModeledTtftSeconds, labelled.ModeledTtftSeconds);
        Assert.Null(plain.LabelClasses);
        IReadOnlyList<LabelClassResult> classes = labelled.LabelClasses!;
        Assert.Equal(["short", "long"], classes.Select(c => c.Labels));
        Assert.Equal(trace.RequestCount, classes.Sum(c => c.Requests));
        Assert.Equal(labelled.HitTokens, classes.Sum(c => c.HitTokens));
        Assert.Equal(labelled.ModeledTtftSeconds!.Value, classes.Sum(c => c.ModeledTtftSeconds!.Value), 9);
        Assert.Equal(trace.InputTokens.Where(t => t >= 200).Count(), classes.Single(c => c.Labels == "long").Requests);
    }

    [Fact]
    public void Tokens_served_per_tier_add_up_to_the_hit_tokens()
    {
        Trace trace = TestTraces.GrowingSessions(4);
        ReplayResult result = Replayer.Run(trace, Options([new(TierProfiles.Hbm3, 15), new(TierProfiles.Dram, 30), new(TierProfiles.Flash, 80)]));
        Assert.Equal(result.HitTokens, result.Tiers.Sum(t => t.ServedTokens + t.RecomputedTokens));
        Assert.All(result.Tiers, t => Assert.True(t.ServedTokens > 0, t.Name));
    }

    [Fact]
    public void Batch_requests_are_served_from_below_the_accelerator()
    {
        Trace trace = TestTraces.GrowingSessions(5);
        ReplayResult result = Replayer.Run(trace, Options([new(TierProfiles.Hbm3, 20), new(TierProfiles.Dram, 200)], LabelRule.Parse("fixed:batch"), route: true));
        Assert.Equal(0, result.Tiers[0].ServedTokens);
        Assert.True(result.Tiers[1].ServedTokens > 0);
        Assert.Equal(0, result.BypassedBlocks);
    }

    [Fact]
    public void One_token_blocks_on_flash_are_recomputed_and_the_ledger_holds_every_movement()
    {
        Trace trace = TestTraces.GrowingSessions(6, blockTokens: 1);
        var ledger = new PlacementLedger(1 << 20);
        ReplayResult result = Replayer.Run(trace,
            Options([new(TierProfiles.Hbm3, 10), new(TierProfiles.Flash, 200)], LabelRule.Parse("fixed:interactive"), route: true, ledger));

        TierReplayResult flash = result.Tiers[1];
        Assert.True(flash.Recomputes > 0);
        Assert.True(flash.RecomputedTokens > 0);
        Assert.Equal(0, flash.ServedTokens); // one token from flash never beats recompute at these depths
        Assert.Equal(result.HitTokens, result.Tiers.Sum(t => t.ServedTokens + t.RecomputedTokens));

        IReadOnlyList<LedgerEntry> entries = ledger.Snapshot();
        Assert.Equal(0, ledger.Dropped);
        for (int t = 0; t < result.Tiers.Count; t++)
        {
            Assert.Equal(result.Tiers[t].Recomputes, entries.Count(e => e.Action == PlacementAction.Recompute && e.FromTier == t));
            Assert.Equal(result.Tiers[t].Promotions, entries.Count(e => e.Action == PlacementAction.Promote && e.FromTier == t));
            Assert.Equal(result.Tiers[t].Demotions, entries.Count(e => e.Action == PlacementAction.Demote && e.FromTier == t));
            Assert.Equal(result.Tiers[t].Evictions, entries.Count(e => e.Action == PlacementAction.Evict && e.FromTier == t));
        }

        Assert.All(entries.Where(e => e.Action == PlacementAction.Recompute), e => Assert.Equal(PlacementReason.RecomputeFaster, e.Reason));
        Assert.Equal(["hbm3", "flash"], ledger.TierNames);
    }

    [Fact]
    public void Routing_changes_nothing_while_every_block_stays_in_the_top_tier()
    {
        Trace trace = TestTraces.GrowingSessions(8, blockTokens: 1);
        TierSpec[] tiers = [new(TierProfiles.Hbm3, trace.UniqueBlocks), new(TierProfiles.Flash, 10)];
        // Everything fits in HBM, so no block ever reaches flash: routing must change nothing at all.
        Assert.Equal(Replayer.Run(trace, Options(tiers)).ModeledTtftSeconds,
            Replayer.Run(trace, Options(tiers, LabelRule.Parse("fixed:interactive"), route: true)).ModeledTtftSeconds);
    }
}
