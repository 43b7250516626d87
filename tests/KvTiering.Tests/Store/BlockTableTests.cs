using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Tests.Store;

public sealed class BlockTableTests
{
    [Fact]
    public void An_entry_record_is_one_cache_line_at_most()
    {
        // Adding or evicting a block touches its record and its keys; a field added past 64 bytes would spill into a
        // further line on every add and eviction (docs/harness.md, replay speed).
        Assert.True(System.Runtime.CompilerServices.Unsafe.SizeOf<BlockEntry>() <= 64);
    }

    [Fact]
    public void The_top_tier_slot_read_from_the_bucket_follows_every_place_and_removal()
    {
        // Churn a small table (many backward shifts) and check the lock-free lookup against a model after each step.
        var table = new BlockTable(64);
        var model = new Dictionary<BlockKey, (int Entry, int Tier, int Slot)>();
        var rng = new Random(11);
        for (int step = 0; step < 20_000; step++)
        {
            // Few distinct keys with colliding low bits, so probe runs are long and deletions shift them.
            var key = new BlockKey((ulong)rng.Next(96) << 40, 7);
            int op = rng.Next(3);
            if (model.TryGetValue(key, out var placed))
            {
                if (op == 0)
                {
                    table.Remove(placed.Entry);
                    model.Remove(key);
                }
                else
                {
                    int tier = rng.Next(-1, 3);
                    int slot = tier < 0 ? -1 : rng.Next(1000);
                    table.Place(placed.Entry, tier, slot);
                    model[key] = (placed.Entry, tier, slot);
                }
            }
            else if (table.Count < table.Capacity)
            {
                int e = table.Add(key, BlockKey.Empty, 0, 0, long.MaxValue);
                table.Place(e, 0, step % 1000);
                model[key] = (e, 0, step % 1000);
            }

            foreach ((BlockKey k, (int entry, int tier, int slot)) in model)
            {
                Assert.Equal(entry, table.FindOptimistic(k, out int topSlot));
                Assert.Equal(tier == 0 ? slot : -1, topSlot);
            }
        }
    }

    [Fact]
    public void A_miss_remembered_for_the_next_add_and_the_last_added_parent_never_misplace_an_entry()
    {
        // Adds after a miss of the same key, of another key, and after removals in between (the memo must not be
        // used then), with parents that are the last added block, an older one, or absent; checked against a model.
        var table = new BlockTable(48);
        var model = new Dictionary<BlockKey, int>();
        var rng = new Random(5);
        BlockKey last = BlockKey.Empty;
        for (int step = 0; step < 20_000; step++)
        {
            var key = new BlockKey((ulong)rng.Next(80) << 40, 3);
            if (model.TryGetValue(key, out int entry))
            {
                table.Remove(entry);
                model.Remove(key);
                continue;
            }

            if (table.Count == table.Capacity)
            {
                continue;
            }

            Assert.Equal(-1, table.Find(rng.Next(3) == 0 ? new BlockKey((ulong)rng.Next(80, 160) << 40, 3) : key));
            if (rng.Next(4) == 0 && model.Count > 0)
            {
                BlockKey other = model.Keys.First();
                table.Remove(model[other]); // a change between the miss and the add
                model.Remove(other);
            }

            BlockKey parent = rng.Next(3) switch { 0 => last, 1 => model.Keys.LastOrDefault(), _ => BlockKey.Empty };
            int e = table.Add(key, parent, -1, 0, long.MaxValue);
            model[key] = e;
            last = key;
            int expectedParent = !parent.IsEmpty && model.TryGetValue(parent, out int p) ? p : -1; // itself when re-added as its own parent
            Assert.Equal(expectedParent, table.LiveParent(e));
            foreach ((BlockKey k, int at) in model)
            {
                Assert.Equal(at, table.Find(k));
                Assert.Equal(at, table.FindOptimistic(k));
            }
        }
    }

    [Fact]
    public void Keys_displaced_past_a_byte_from_their_home_are_still_shifted_back_correctly()
    {
        // 400 keys sharing one home bucket make a probe run longer than the byte-wide displacement holds (255), so
        // removals read the home of the run's tail by hashing its key; every survivor must stay findable.
        var table = new BlockTable(1024); // 2,048 buckets
        const int mask = 2047;
        var keys = new List<BlockKey>();
        for (ulong low = 1; keys.Count < 400; low++)
        {
            var key = new BlockKey(low, 3);
            if ((BlockIndex.Hash(key) & mask) == 100)
            {
                keys.Add(key);
            }
        }

        var entries = new Dictionary<BlockKey, int>();
        foreach (BlockKey key in keys)
        {
            entries[key] = table.Add(key, BlockKey.Empty, 0, 0, long.MaxValue);
        }

        var rng = new Random(5);
        var live = new List<BlockKey>(keys);
        while (live.Count > 0)
        {
            int pick = live.Count > 300 ? rng.Next(20) : rng.Next(live.Count); // the run's head first: long shifts
            table.Remove(entries[live[pick]]);
            Assert.Equal(-1, table.Find(live[pick]));
            live.RemoveAt(pick);
            foreach (BlockKey key in live)
            {
                Assert.Equal(entries[key], table.Find(key));
            }
        }
    }

    [Fact]
    public void Removed_keys_leave_tombstones_that_probes_pass_and_the_deferred_shifts_empty()
    {
        // A removal leaves a tombstone whose backward shift runs PendingShifts removals later: until then every probe
        // must pass it (no survivor lost, no false miss), re-added colliding keys must be found, and once the shifts
        // have run, an absent key's probe ends at its home again (no tombstone left behind).
        var table = new BlockTable(1024);
        int mask = table.BucketCount - 1;
        const int home = 100;
        var colliding = KeysWithHome(home, mask, 48);
        var entries = new Dictionary<BlockKey, int>();
        for (int i = 0; i < colliding.Count; i++)
        {
            entries[colliding[i]] = table.Add(colliding[i], BlockKey.Empty, 0, 0, long.MaxValue);
            table.Place(entries[colliding[i]], 0, i);
        }

        var rng = new Random(3);
        var removed = new List<BlockKey>();
        for (int round = 0; round < 30; round++)
        {
            BlockKey gone = colliding[rng.Next(colliding.Count)];
            if (!entries.Remove(gone, out int e))
            {
                continue;
            }

            table.Remove(e);
            removed.Add(gone);
            AssertIndexed(table, entries, colliding, absent: removed);
        }

        // Re-added while their old buckets may still be tombstones: each lands past them and is found.
        foreach (BlockKey back in removed.Take(10))
        {
            entries[back] = table.Add(back, BlockKey.Empty, 0, 0, long.MaxValue);
            table.Place(entries[back], 0, colliding.IndexOf(back));
            removed.Remove(back);
            AssertIndexed(table, entries, colliding, absent: removed);
        }

        foreach ((BlockKey key, int e) in entries.ToList())
        {
            table.Remove(e);
            entries.Remove(key);
        }

        // Removals elsewhere run the last pending shifts; then the run at the home bucket is gone.
        var elsewhere = KeysWithHome(home + 1000, mask, BlockIndex.PendingShifts);
        foreach (BlockKey key in elsewhere)
        {
            table.Remove(table.Add(key, BlockKey.Empty, 0, 0, long.MaxValue));
        }

        Assert.Equal(-1, table.Find(colliding[0]));
        Assert.Equal(home, table.LastMissBucket);
        Assert.Equal(0, table.Count);
    }

    private static List<BlockKey> KeysWithHome(int home, int mask, int count)
    {
        var keys = new List<BlockKey>();
        for (ulong low = 1; keys.Count < count; low++)
        {
            var key = new BlockKey(low, 3);
            if ((BlockIndex.Hash(key) & mask) == home)
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    private static void AssertIndexed(BlockTable table, Dictionary<BlockKey, int> entries, List<BlockKey> slots,
        List<BlockKey> absent)
    {
        TopSlotProbe probe = table.TopSlots;
        foreach ((BlockKey key, int e) in entries)
        {
            Assert.Equal(e, table.Find(key));
            Assert.Equal(e, table.FindOptimistic(key, out int slot));
            Assert.Equal(slots.IndexOf(key), slot);
            int probed = probe.Find(key);
            Assert.True(probed == slots.IndexOf(key) || probed == -2, "the bit hit's probe finds it or sends it to the lock");
        }

        foreach (BlockKey key in absent)
        {
            Assert.Equal(-1, table.Find(key));
            Assert.Equal(-1, table.FindOptimistic(key));
            Assert.True(probe.Find(key) is -1 or -2, "an absent key is never given a slot");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Child_counts_are_kept_only_when_tracked_and_the_parent_link_either_way(bool tracksChildren)
    {
        // Without tracking (no policy reads ResidentChildren: IIgnoresChildren) counts stay 0, and a child still finds
        // its live parent; with it, a parent counts its resident children in and out.
        var table = new BlockTable(8, tracksChildren);
        var parent = new BlockKey(1, 7);
        int p = table.Add(parent, BlockKey.Empty, 0, 0, long.MaxValue);
        int a = table.Add(new BlockKey(2, 7), parent, -1, 0, long.MaxValue);
        int b = table.Add(new BlockKey(3, 7), parent, -1, 0, long.MaxValue);
        Assert.Equal(tracksChildren ? 2 : 0, table.ChildCount[p]);
        Assert.Equal(p, table.LiveParent(a));
        Assert.Equal(1, table.Depth[b]);

        table.Remove(a);
        Assert.Equal(tracksChildren ? 1 : 0, table.ChildCount[p]);
        table.Remove(p);
        Assert.Equal(-1, table.LiveParent(b));
    }

    [Fact]
    public void A_table_too_small_for_sixteen_tombstones_waits_fewer_removals_and_its_probes_end()
    {
        // Sixteen buckets (one entry): sixteen pending tombstones would leave no empty bucket to end a probe at.
        var table = new BlockTable(1);
        for (ulong k = 1; k <= 100; k++)
        {
            var key = new BlockKey(k, 9);
            Assert.Equal(-1, table.Find(key));
            table.Remove(table.Add(key, BlockKey.Empty, 0, 0, long.MaxValue));
            Assert.Equal(-1, table.FindOptimistic(key));
        }
    }

    [Fact]
    public void The_held_count_follows_pins_and_moves_through_removal()
    {
        // IsEvictable trusts every entry while the count is zero, so it must never read zero while one is held.
        var table = new BlockTable(8);
        int a = table.Add(new BlockKey(1, 1), BlockKey.Empty, 0, 0, long.MaxValue);
        int b = table.Add(new BlockKey(2, 2), BlockKey.Empty, 0, 0, long.MaxValue);
        Assert.Equal(0, table.HeldCount);

        table.AddPin(a);
        table.AddPin(a);
        Assert.Equal(1, table.HeldCount);
        table.SetInFlight(a, true);
        table.SetInFlight(b, true);
        table.SetInFlight(b, true); // no change: not counted twice
        Assert.Equal(3, table.HeldCount);
        Assert.False(table.IsEvictable(a));
        Assert.False(table.IsEvictable(b));

        Assert.Equal(1, table.ReleasePin(a));
        Assert.Equal(3, table.HeldCount);
        table.SetInFlight(b, false);
        Assert.Equal(2, table.HeldCount);
        Assert.True(table.IsEvictable(b)); // read from its record while another is held

        table.Remove(a); // pinned and in flight: both go with it
        Assert.Equal(0, table.HeldCount);
        int c = table.Add(new BlockKey(3, 3), BlockKey.Empty, 0, 0, long.MaxValue);
        Assert.Equal(0, table.Pins[c]);
        Assert.True(table.IsEvictable(c));
    }
}
