using KvTiering.Blocks;
using KvTiering.Placement;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Placement.PlacementTestKit;

namespace KvTiering.Tests.Placement;

public sealed class StorePlacementTests
{
    [Fact]
    public void A_flash_hit_that_loses_to_recompute_is_a_miss_and_the_recomputed_block_enters_afresh()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 1), (TierProfiles.Flash, 8)], Router(1), ledger);
        Put(store, 0, depth: 0, Interactive);
        Put(store, 1, depth: 0, Interactive); // demotes block 0 to flash
        Assert.Equal(1, store.TierOf(Key(0)));

        Assert.False(Get(store, 0, out int servedFrom));
        Assert.Equal(-1, servedFrom);
        Assert.False(store.Contains(Key(0)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Tiers[1].Recomputes);
        Assert.Equal(1, stats.Misses);
        LedgerEntry recompute = Assert.Single(ledger.ForBlock(Key(0)), e => e.Action == PlacementAction.Recompute);
        Assert.Equal((1, -1, PlacementReason.RecomputeFaster), (recompute.FromTier, recompute.ToTier, recompute.Reason));

        Assert.Equal(PutResult.Stored, Put(store, 0, depth: 0, Interactive)); // the caller's recomputed block
        Assert.Equal(0, store.TierOf(Key(0)));
    }

    [Fact]
    public void A_deep_flash_hit_is_loaded_and_promoted()
    {
        using TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 1), (TierProfiles.Flash, 8)], Router(1));
        Put(store, 0, depth: 30_000, Interactive);
        Put(store, 1, depth: 0, Interactive);
        Assert.True(Get(store, 0, out int servedFrom));
        Assert.Equal(1, servedFrom);
        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.Equal(0, store.GetStatistics().Tiers[1].Recomputes);
    }

    [Fact]
    public void A_dram_hit_of_a_long_context_is_loaded()
    {
        WorkloadLabels longContext = new(context: ContextLength.LongContext, latency: LatencyClass.Interactive);
        using TieredKvStore store = NewStore(16, [(TierProfiles.Hbm3, 1), (TierProfiles.Dram, 4)], Router(16));
        Put(store, 0, depth: 2_000, longContext); // 32,000 tokens in
        Put(store, 1, depth: 0, longContext);
        Assert.True(Get(store, 0, out int servedFrom));
        Assert.Equal(1, servedFrom);
    }

    [Fact]
    public void Batch_documents_enter_below_hbm_and_never_flush_interactive_blocks()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore store = NewStore(16, [(TierProfiles.Hbm3, 4), (TierProfiles.Dram, 4), (TierProfiles.Flash, 4)], Router(16), ledger);
        for (int i = 0; i < 4; i++)
        {
            Put(store, i, depth: i, Interactive);
        }

        for (int i = 100; i < 120; i++)
        {
            Assert.Equal(PutResult.Stored, Put(store, i, depth: i - 100, Batch, session: 2));
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0, store.TierOf(Key(i)));
        }

        Assert.Equal(1, store.TierOf(Key(119)));
        Assert.Equal(0, store.GetStatistics().Tiers[0].Demotions);
        LedgerEntry admit = ledger.ForBlock(Key(119))[0];
        Assert.Equal((PlacementAction.Admit, 1, PlacementReason.BatchBelowAccelerator, Batch), (admit.Action, admit.ToTier, admit.Reason, admit.Labels));
    }

    [Fact]
    public void A_batch_hit_promotes_no_higher_than_its_entry_tier_until_an_interactive_put_relabels_it()
    {
        using TieredKvStore store = NewStore(16, [(TierProfiles.Hbm3, 2), (TierProfiles.Dram, 1), (TierProfiles.Flash, 4)], Router(16));
        Put(store, 0, depth: 0, Batch);
        Put(store, 1, depth: 0, Batch); // block 0 demoted to flash
        Assert.Equal(2, store.TierOf(Key(0)));
        Assert.True(Get(store, 0, out _));
        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(PutResult.AlreadyPresent, Put(store, 0, depth: 0, Interactive));
        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.Equal(Interactive, store.Explain(Key(0)).Labels);
    }

    [Fact]
    public void Batch_is_bypassed_when_every_tier_is_accelerator_memory()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore store = NewStore(16, [(TierProfiles.Sram, 4), (TierProfiles.Hbm3e, 4)], Router(16), ledger);
        Assert.Equal(PutResult.Rejected, Put(store, 0, depth: 0, Batch));
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(1, store.GetStatistics().Bypassed);
        Assert.Equal(PlacementReason.BatchNoLowerTier, Assert.Single(ledger.Snapshot()).Reason);

        WorkloadLabels longContext = new(context: ContextLength.LongContext);
        Assert.Equal(PutResult.Stored, Put(store, 1, depth: 0, longContext));
        Assert.Equal(1, store.TierOf(Key(1))); // skips SRAM
    }

    [Fact]
    public void A_pinned_block_is_loaded_even_where_recompute_would_win()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 1), (TierProfiles.Flash, 4)], Router(1), ledger);
        Put(store, 0, depth: 0, Interactive);
        Put(store, 1, depth: 0, Interactive);
        Assert.True(store.Pin(Key(0)));
        Assert.True(Get(store, 0, out int servedFrom));
        Assert.Equal(1, servedFrom);
        Assert.Equal(PlacementReason.Pinned, ledger.ForBlock(Key(0))[^1].Reason);
    }

    [Fact]
    public void Without_a_router_a_shallow_flash_hit_is_loaded_as_before()
    {
        using TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 1), (TierProfiles.Flash, 4)], router: null);
        Put(store, 0, depth: 0, Batch);
        Put(store, 1, depth: 0, Batch);
        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.True(Get(store, 0, out int servedFrom));
        Assert.Equal(1, servedFrom);
    }

    [Fact]
    public void A_router_for_another_block_size_is_refused()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => NewStore(16, [(TierProfiles.Hbm3, 4)], Router(64)));
        Assert.Contains("64-token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_tells_where_a_block_is_and_what_moved_it()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore store = NewStore(16, [(TierProfiles.Hbm3, 1), (TierProfiles.Dram, 2)], Router(16), ledger);
        Put(store, 0, depth: 3, Interactive, session: 7);
        Put(store, 1, depth: 0, Interactive); // 0 → DRAM
        Assert.True(Get(store, 0, out _));    // load; 0 → HBM, 1 → DRAM
        Put(store, 2, depth: 0, Interactive); // 0 → DRAM beside 1
        Put(store, 3, depth: 0, Interactive); // 2 → DRAM, whose LRU victim 1 leaves the store

        BlockExplanation zero = store.Explain(Key(0));
        Assert.Equal((1, "dram", 7L, Interactive), (zero.Tier, zero.TierName, zero.Session, zero.Labels));
        Assert.Equal([PlacementAction.Admit, PlacementAction.Demote, PlacementAction.Load, PlacementAction.Promote, PlacementAction.Demote],
            zero.History.Select(e => e.Action));
        Assert.True(zero.HistoryComplete);
        string story = zero.ToString();
        Assert.Contains("in tier 1 (dram)", story, StringComparison.Ordinal);
        Assert.Contains("0 (hbm3) -> 1 (dram)", story, StringComparison.Ordinal);

        BlockExplanation one = store.Explain(Key(1));
        Assert.Equal(-1, one.Tier);
        Assert.Equal(PlacementAction.Evict, one.History[^1].Action);
        Assert.Equal(PlacementReason.EvictionVictim, one.History[^1].Reason);
        Assert.Equal(-1, ledger.Explain(Key(1)).Tier);
        Assert.Equal(1, ledger.Explain(Key(0)).Tier);

        using TieredKvStore plain = NewStore(16, [(TierProfiles.Hbm3, 1)], router: null);
        Put(plain, 0, depth: 0, Interactive);
        BlockExplanation noLedger = plain.Explain(Key(0));
        Assert.Equal(0, noLedger.Tier);
        Assert.Empty(noLedger.History);
        Assert.Equal(-1, plain.Explain(new BlockKey(99, 99)).Tier);
    }
}
