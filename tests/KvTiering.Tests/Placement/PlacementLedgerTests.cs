using KvTiering.Tests.Tiers;
using System.Text;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Placement.PlacementTestKit;

namespace KvTiering.Tests.Placement;

public sealed class PlacementLedgerTests
{
    private static readonly WorkloadLabels[] Mix =
    [
        WorkloadLabels.None, Interactive, Batch, WorkloadLabels.Parse("edge,interactive"), WorkloadLabels.Parse("long,batch"),
    ];

    [Theory]
    [InlineData("lru", 1)]
    [InlineData("lru", 2)]
    [InlineData("belady", 3)]
    [InlineData("s3fifo", 4)]
    public void Every_movement_the_statistics_count_is_in_the_ledger_and_the_ledger_says_where_each_block_is(string policy, int seed)
    {
        var ledger = new PlacementLedger(1 << 20);
        using TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 6), (TierProfiles.Dram, 10), (TierProfiles.Flash, 16)], Router(1), ledger,
            EvictionPolicies.FromName(policy));
        RunRandomWorkload(store, seed, blocks: 80, steps: 4_000);

        StoreStatistics stats = store.GetStatistics();
        IReadOnlyList<LedgerEntry> entries = ledger.Snapshot();
        Assert.Equal(0, ledger.Dropped);
        int Count(PlacementAction action, Func<LedgerEntry, int> tierOf, int tier) =>
            entries.Count(e => e.Action == action && tierOf(e) == tier);
        for (int t = 0; t < stats.Tiers.Count; t++)
        {
            TierStatistics s = stats.Tiers[t];
            Assert.Equal(s.Inserts, Count(PlacementAction.Admit, e => e.ToTier, t));
            Assert.Equal(s.Rejections, Count(PlacementAction.Reject, e => e.ToTier, t));
            Assert.Equal(s.Promotions, Count(PlacementAction.Promote, e => e.FromTier, t));
            Assert.Equal(s.Demotions, Count(PlacementAction.Demote, e => e.FromTier, t));
            Assert.Equal(s.Evictions, Count(PlacementAction.Evict, e => e.FromTier, t));
            Assert.Equal(s.Recomputes, Count(PlacementAction.Recompute, e => e.FromTier, t));
            Assert.Equal(s.ChecksumFailures + s.LostBlocks + s.UnreachableReads, Count(PlacementAction.Drop, e => e.FromTier, t));
            Assert.Equal(s.WriteFailures, Count(PlacementAction.WriteFailed, e => e.ToTier, t));
        }

        Assert.Equal(stats.Bypassed, entries.Count(e => e.Action == PlacementAction.Bypass));
        Assert.True(stats.Tiers.Sum(t => t.Demotions) > 0 && stats.Tiers.Sum(t => t.Evictions) > 0);
        Assert.True(stats.Tiers.Sum(t => t.Promotions) > 0 && stats.Tiers.Sum(t => t.Recomputes) > 0);
        if (policy == "belady")
        {
            Assert.True(stats.Tiers.Sum(t => t.Rejections) > 0);
        }

        // Replaying the moves alone puts every block where the store has it.
        for (int i = 0; i < 80; i++)
        {
            int tier = -1;
            foreach (LedgerEntry e in ledger.ForBlock(Key(i)))
            {
                tier = e.IsMove ? e.ToTier : tier;
            }

            Assert.Equal(store.TierOf(Key(i)), tier);
        }

        Assert.Equal(entries.Select((_, i) => (long)i), entries.Select(e => e.Sequence));
    }

    [Fact]
    public void The_ring_keeps_only_the_latest_entries()
    {
        var ledger = new PlacementLedger(8);
        using TieredKvStore store = NewStore(16, [(TierProfiles.Hbm3, 2), (TierProfiles.Dram, 2)], Router(16), ledger);
        for (int i = 0; i < 10; i++)
        {
            Put(store, i, depth: 0, Interactive);
        }

        long total = ledger.TotalRecorded;
        Assert.True(total > 8);
        Assert.Equal(8, ledger.Count);
        Assert.Equal(total - 8, ledger.Dropped);
        Assert.Equal(Enumerable.Range((int)total - 8, 8).Select(i => (long)i), ledger.Snapshot().Select(e => e.Sequence));
        Assert.False(store.Explain(Key(9)).HistoryComplete);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlacementLedger(0));
    }

    [Fact]
    public void Json_lines_round_trip_every_field()
    {
        var ledger = new PlacementLedger(64);
        using (TieredKvStore store = NewStore(1, [(TierProfiles.Hbm3, 2), (TierProfiles.Flash, 3)], Router(1), ledger))
        {
            RunRandomWorkload(store, seed: 5, blocks: 12, steps: 200);
        }

        using var stream = new MemoryStream();
        ledger.WriteJsonLines(stream);
        string[] lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ledger.Count + 1, lines.Length);
        Assert.StartsWith("{\"kind\":\"kvtiering-ledger\",\"version\":1,\"capacity\":64,", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"tiers\":[\"hbm3\",\"flash\"]", lines[0], StringComparison.Ordinal);

        stream.Position = 0;
        PlacementLedger read = PlacementLedger.ReadJsonLines(stream);
        Assert.Equal(ledger.Snapshot(), read.Snapshot());
        Assert.Equal(ledger.Dropped, read.Dropped);
        Assert.Equal(ledger.TotalRecorded, read.TotalRecorded);
        Assert.Equal(["hbm3", "flash"], read.TierNames);
        LedgerEntry last = read.Snapshot()[^1];
        Assert.Equal(ledger.Describe(last), read.Describe(last));
    }

    [Fact]
    public void Reading_takes_tier_names_from_entries_without_a_header_and_names_the_bad_line()
    {
        string block = new BlockKey(5, 6).ToString();
        string good = $"{{\"seq\":3,\"time\":1.5,\"action\":\"demote\",\"reason\":\"eviction-victim\",\"block\":\"{block}\",\"session\":9," +
            "\"depth\":2,\"from\":0,\"to\":1,\"from_tier\":\"hbm3\",\"to_tier\":\"dram\",\"labels\":\"batch\"}";
        PlacementLedger read = PlacementLedger.ReadJsonLines(Utf8(good + "\n\n"));
        LedgerEntry e = Assert.Single(read.Snapshot());
        Assert.Equal(new LedgerEntry(3, 1.5, PlacementAction.Demote, PlacementReason.EvictionVictim, new BlockKey(5, 6), 9, 2, 0, 1, Batch), e);
        Assert.Equal(["hbm3", "dram"], read.TierNames);

        InvalidDataException notJson = Assert.Throws<InvalidDataException>(() => PlacementLedger.ReadJsonLines(Utf8(good + "\n{oops\n")));
        Assert.Contains("line 2", notJson.Message, StringComparison.Ordinal);
        InvalidDataException badAction = Assert.Throws<InvalidDataException>(() =>
            PlacementLedger.ReadJsonLines(Utf8(good.Replace("\"demote\"", "\"teleport\"", StringComparison.Ordinal))));
        Assert.Contains("teleport", badAction.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => PlacementLedger.ReadJsonLines(Utf8("{\"action\":\"admit\"}")));
        Assert.Throws<InvalidDataException>(() => PlacementLedger.ReadJsonLines(Utf8("[1,2]")));
    }

    [Fact]
    public void A_ledger_serves_one_store()
    {
        var ledger = new PlacementLedger();
        using TieredKvStore first = NewStore(16, [(TierProfiles.Hbm3, 2)], null, ledger);
        Assert.Throws<ArgumentException>(() => NewStore(16, [(TierProfiles.Hbm3, 2)], null, ledger));
    }

    [Fact]
    public void Blocks_recovered_from_flash_are_in_the_ledger()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kvtiering-ledger-" + Guid.NewGuid().ToString("N"));
        try
        {
            KvLayout layout = new("test-model", 1, 1, 8, 2, 4);
            TieredKvStore Open(PlacementLedger? ledger)
            {
                var options = new KvStoreOptions { Layout = layout, Ledger = ledger };
                options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 1));
                options.Tiers.Add(new TierOptions(TierProfiles.Flash, 4) { Directory = dir, FlashRecoveryVerificationBudget = PatientFlash.Budget });
                return new TieredKvStore(options);
            }

            using (TieredKvStore store = Open(null))
            {
                for (int i = 0; i < 3; i++)
                {
                    store.Put(Key(i), BlockKey.Empty, new byte[64]);
                }
            }

            var ledger = new PlacementLedger();
            using TieredKvStore reopened = Open(ledger);
            Assert.Equal(2, ledger.Snapshot().Count(e => e.Action == PlacementAction.Recover && e.ToTier == 1));
            Assert.Equal(1, reopened.Explain(Key(0)).Tier);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    private static void RunRandomWorkload(TieredKvStore store, int seed, int blocks, int steps)
    {
        var rng = new Random(seed);
        for (int step = 0; step < steps; step++)
        {
            int i = rng.Next(blocks);
            int roll = rng.Next(100);
            int depth = (i % 4) * 12_000; // some blocks shallow enough that a flash hit is recomputed
            if (roll < 55)
            {
                long nextUse = rng.Next(5) == 0 ? long.MaxValue : step + rng.Next(1, 500);
                store.Put(Key(i), BlockKey.Empty, default,
                    new BlockContext(depth, 1 + (i % 5), nextUse) { Labels = Mix[rng.Next(Mix.Length)] });
            }
            else if (roll < 85)
            {
                store.TryGet(Key(i), default, out _);
            }
            else if (roll < 92)
            {
                store.Pin(Key(i));
            }
            else if (roll < 97)
            {
                store.Unpin(Key(i));
            }
            else
            {
                store.Remove(Key(i));
            }
        }
    }
}
