using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class WriteBehindTests
{
    [Fact]
    public void A_put_does_not_wait_for_the_slow_tier_and_the_demoted_block_reads_back_meanwhile()
    {
        var slow = new GatedDevice(16, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 4);
        slow.Close();
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // the third put demotes block 0; its write blocks on the gate
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(0, slow.Writes);
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier)); // served from the staging copy
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        slow.Open();
        WaitFor(() => slow.Writes >= 1);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public async Task A_burst_larger_than_the_queue_waits_for_room_and_drops_nothing()
    {
        var slow = new GatedDevice(16, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 2);
        slow.Close();

        // The worker's first write waits at the gate and the queue's two job slots fill; the next put waits for room
        // (before, its demotion was dropped) until the gate opens.
        Task opener = Task.Run(async () =>
        {
            SpinWait.SpinUntil(() => slow.Waiting == 1 && store.WriteBehindPending == 2, TimeSpan.FromSeconds(5));
            await Task.Delay(100);
            slow.Open();
        });
        for (int i = 0; i < 8; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // 6 demotions, 2 job slots
        }

        slow.Open();
        await opener;
        WaitFor(() => store.WriteBehindPending == 0);
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(0, stats.Tiers[1].WriteBehindDrops);
        Assert.Equal(0, stats.Tiers[0].Evictions);
        Assert.Equal(6, stats.Tiers[0].Demotions);
        Assert.Equal(8, store.Count);
        Assert.Equal(6, slow.Writes);
        var buffer = new byte[128];
        for (int i = 0; i < 8; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i}");
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_remove_during_the_write_wins_and_the_slot_is_freed_after_it()
    {
        var slow = new GatedDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 1, queue: 2);
        slow.Close();
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1)); // demotes 0; its write blocks
        Assert.True(store.Remove(Key(0)));
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(0, store.GetStatistics().Tiers[1].ResidentBlocks);
        slow.Open();
        WaitFor(() => slow.Writes == 1);
        WaitFor(() => store.GetStatistics().Tiers[1].ResidentBlocks == 0 && slow.PayloadLength(0) + slow.PayloadLength(1) + slow.PayloadLength(2) + slow.PayloadLength(3) == 0);
        var buffer = new byte[128];
        Assert.False(store.TryGet(Key(0), buffer, out _));
        for (int i = 2; i < 8; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // the reserved slot is usable again
        }

        // Six more demotions (blocks 1 to 6): each was either written or dropped for want of a buffer, and counted.
        WaitFor(() => slow.Writes + store.GetStatistics().Tiers[1].WriteBehindDrops == 7);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_hit_promotes_a_block_whose_write_is_in_flight_from_its_staging_copy()
    {
        var slow = new GatedDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 4);
        slow.Close();
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(0, store.TierOf(Key(0))); // promoted; block 1 demoted in its place
        slow.Open();
        WaitFor(() => slow.Writes == 2);
        Assert.True(store.TryGet(Key(1), buffer, out written));
        Assert.Equal(Payload(1), buffer[..written]);
        Assert.Equal(3, store.Count);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_promotion_out_of_a_write_behind_tier_frees_its_slot_behind_the_lock()
    {
        var slow = new GatedDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 4);
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // block 0 demotes and is written
        }

        WaitFor(() => store.WriteBehindPending == 0);
        slow.CloseFrees();
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier)); // promotes block 0 out of the slow tier
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(0, store.TierOf(Key(0)));

        // The hit returned while its old slot's free is still held at the gate: the worker frees it, not the hit.
        WaitFor(() => slow.FreesWaiting == 1);
        store.Put(Key(3), BlockKey.Empty, Payload(3)); // a put meanwhile neither waits for the free nor gets that slot
        Assert.Equal(1, slow.FreesWaiting);
        Assert.Equal(0, slow.Frees);
        slow.OpenFrees();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, slow.Frees);

        // The freed slot is usable again: the slow tier fills to its capacity.
        for (int i = 4; i < 10; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(slow.SlotCount, store.GetStatistics().Tiers[1].ResidentBlocks);
        for (int i = 0; i < 10; i++)
        {
            if (store.TryGet(Key(i), buffer, out written))
            {
                Assert.Equal(Payload(i), buffer[..written]);
            }
        }

        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_remove_from_a_write_behind_tier_frees_its_slot_behind_the_lock()
    {
        var slow = new GatedDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 4);
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // block 0 demotes and is written
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.True(store.Pin(Key(0)));
        Assert.Equal(1, store.GetStatistics().Tiers[1].PinnedBlocks);
        slow.CloseFrees();
        Assert.True(store.Remove(Key(0))); // returns while its slot's free is held at the gate
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(0, store.GetStatistics().Tiers[1].PinnedBlocks); // its pin went back to the tier's budget

        // The worker frees the slot, not the Remove: a put meanwhile neither waits for the free nor gets that slot.
        WaitFor(() => slow.FreesWaiting == 1);
        store.Put(Key(3), BlockKey.Empty, Payload(3));
        Assert.Equal(0, slow.Frees);
        slow.OpenFrees();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, slow.Frees);

        // The freed slot is usable again: the slow tier fills to its capacity.
        for (int i = 4; i < 10; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(slow.SlotCount, store.GetStatistics().Tiers[1].ResidentBlocks);
        var buffer = new byte[128];
        Assert.False(store.TryGet(Key(0), buffer, out _));
        for (int i = 1; i < 10; i++)
        {
            if (store.TryGet(Key(i), buffer, out int written))
            {
                Assert.Equal(Payload(i), buffer[..written]);
            }
        }

        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void Clear_frees_a_write_behind_tiers_slots_behind_the_lock()
    {
        var slow = new GatedDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = WriteBehindStore(slow, top: 2, queue: 4);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // blocks 0 and 1 demote and are written
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(2, store.GetStatistics().Tiers[1].ResidentBlocks);
        slow.CloseFrees();
        store.Clear(); // returns while the slow tier's two frees are held at the gate
        Assert.Equal(0, store.Count);
        WaitFor(() => slow.FreesWaiting == 1);
        Assert.Equal(0, slow.Frees);
        slow.OpenFrees();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(2, slow.Frees);

        // Every slot is usable again: the slow tier fills to its capacity.
        for (int i = 10; i < 16; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(slow.SlotCount, store.GetStatistics().Tiers[1].ResidentBlocks);
        Assert.Empty(slow.Violations);
    }
}
