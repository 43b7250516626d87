using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A victim demoted into a write-behind tier is written by the worker straight from its DRAM slot, which stays held
/// (readable, out of use) until the write lands, instead of being copied into a staging buffer by the put.
/// </summary>
public sealed class WriteBehindHoldTests
{
    private const int Top = 16; // an eighth of it, 2 slots, may be held at once

    /// <summary>
    /// Fills the top tier with the gate closed: the put that took the last free slot demoted the LRU victim (block 0)
    /// ahead, held (no copy, no slot freed yet), and its write waits at the gate.
    /// </summary>
    private static TieredKvStore FillUntilAVictimIsHeld(GatedDevice slow)
    {
        TieredKvStore store = WriteBehindStore(slow, Top, queue: 4);
        slow.Close();
        for (int i = 0; i < Top; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => slow.Waiting == 1);
        Assert.Equal(1, store.TierOf(Key(0)));
        return store;
    }

    [Fact]
    public void The_victims_slot_is_held_until_its_write_lands_and_serves_its_reads_meanwhile()
    {
        var slow = new GatedDevice(64, TinyLayout.BytesPerBlock);
        using TieredKvStore store = FillUntilAVictimIsHeld(slow);
        Assert.Equal(Top - 1, store.GetStatistics().Tiers[0].ResidentBlocks);
        Assert.Equal(1, store.GetStatistics().Tiers[0].Demotions);

        // A put now finds no free slot (the held one is out of use): it holds one more victim and stages the next.
        store.Put(Key(Top), BlockKey.Empty, Payload(Top));
        Assert.Equal(Top - 2, store.GetStatistics().Tiers[0].ResidentBlocks);
        Assert.Equal(1, store.TierOf(Key(1)));
        Assert.Equal(1, store.TierOf(Key(2)));

        // The held victim's bytes are its DRAM slot's: a Remove and a Put of the same key meanwhile win.
        Assert.True(store.Remove(Key(1)));
        byte[] fresh = Payload(99);
        store.Put(Key(1), BlockKey.Empty, fresh);
        Assert.Equal(0, store.TierOf(Key(1)));

        slow.Open();
        WaitFor(() => store.WriteBehindPending == 0);

        // Every held slot came back: the next puts take them without evicting anything.
        long demotions = store.GetStatistics().Tiers[0].Demotions;
        int free = Top - store.GetStatistics().Tiers[0].ResidentBlocks;
        Assert.True(free >= 2, $"only {free} free top-tier slots after the writes landed");
        store.Put(Key(Top + 1), BlockKey.Empty, Payload(Top + 1));
        Assert.Equal(demotions, store.GetStatistics().Tiers[0].Demotions);

        // Block 0 was written from its held slot and reads back from the slow tier's own copy.
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.True(store.TryGet(Key(1), buffer, out written));
        Assert.Equal(fresh, buffer[..written]);
        for (int i = 2; i <= Top + 1; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out written), $"block {i} is gone");
            Assert.Equal(Payload(i), buffer[..written]);
            WaitFor(() => store.WriteBehindPending == 0); // each read may promote and demote: no drop for want of a job slot
        }

        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindDrops);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_hit_on_a_held_victim_reads_its_dram_slot_and_promotes_it_without_waiting()
    {
        var slow = new GatedDevice(64, TinyLayout.BytesPerBlock);
        using TieredKvStore store = FillUntilAVictimIsHeld(slow);
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier)); // the worker is still at the gate
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(0, store.TierOf(Key(0))); // promoted from the held slot's bytes
        slow.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        for (int i = 0; i < Top; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out written), $"block {i} is gone");
            Assert.Equal(Payload(i), buffer[..written]);
            WaitFor(() => store.WriteBehindPending == 0); // each read may promote and demote: no drop for want of a job slot
        }

        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindDrops);
        Assert.Empty(slow.Violations);
    }
}
