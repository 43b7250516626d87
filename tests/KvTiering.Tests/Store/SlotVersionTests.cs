using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A lock-free top-tier hit checks its own slot's version around the copy (<see cref="Tier.SlotOwners"/>): a change
/// of that slot during the copy is never returned, a change anywhere else does not throw the copy away. The changes run
/// inside the device's <see cref="IDirectSlotAccess.Payload"/>, on the reader's own thread, so they land exactly between
/// the hit's lookup and its copy.
/// </summary>
public sealed class SlotVersionTests
{
    /// <summary>
    /// A one-tier store over <paramref name="device"/>: LRU (<paramref name="lru"/>) queues its hits and keeps the
    /// store-wide check around the lookup; clock keeps reference bits, and its hits validate
    /// against the slot's owner alone (<see cref="SlotOwnership"/>).
    /// </summary>
    private static TieredKvStore Store(HookedDevice device, bool lru = true)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), device.SlotCount)
        {
            Policy = lru ? EvictionPolicy.Lru : EvictionPolicies.Clock,
            DeviceFactory = (_, _) => device,
        });
        return new TieredKvStore(options);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_slot_freed_and_rewritten_with_another_block_during_the_copy_is_never_returned(bool lru)
    {
        var device = new HookedDevice(2, 128);
        using TieredKvStore store = Store(device, lru);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        int slot = device.SlotOf(Key(1));
        device.BeforePayload = () =>
        {
            store.Remove(Key(1));
            store.Put(Key(2), BlockKey.Empty, Payload(2)); // the free stack hands the same slot out again
            Assert.Equal(slot, device.SlotOf(Key(2)));
        };

        var buffer = new byte[128];
        bool hit = store.TryGet(Key(1), buffer, out int written, out int tier);

        Assert.False(hit);
        Assert.Equal(0, written);
        Assert.Equal(-1, tier);
        Assert.NotEqual(Payload(2), buffer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_slot_freed_during_the_copy_never_answers_an_empty_hit(bool lru)
    {
        var device = new HookedDevice(2, 128);
        using TieredKvStore store = Store(device, lru);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        device.BeforePayload = () => store.Remove(Key(1));

        bool hit = store.TryGet(Key(1), new byte[128], out int written, out _);

        Assert.False(hit);
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_write_to_another_slot_during_the_copy_does_not_interrupt_the_hit(bool lru)
    {
        var device = new HookedDevice(4, 128);
        using TieredKvStore store = Store(device, lru);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        device.BeforePayload = () =>
        {
            store.Put(Key(2), BlockKey.Empty, Payload(2));
            store.Put(Key(3), BlockKey.Empty, Payload(3));
            store.Remove(Key(3));
        };

        LookupTrace.Reset();
        var buffer = new byte[128];
        bool hit = store.TryGet(Key(1), buffer, out int written, out int tier);

        Assert.True(hit);
        Assert.Equal(0, tier);
        Assert.Equal(Payload(1), buffer.AsSpan(0, written).ToArray());
        Assert.Equal(0, LookupTrace.Retries);
        Assert.Equal(0, LookupTrace.LockedReads);
        Assert.True(store.TryGet(Key(2), buffer, out written));
        Assert.Equal(Payload(2), buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void A_stale_hint_to_another_block_s_slot_is_refused()
    {
        var device = new HookedDevice(4, 128);
        using TieredKvStore store = Store(device, lru: false);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        store.Put(Key(2), BlockKey.Empty, Payload(2));
        var buffer = new byte[128];

        int answer = store.TopReader.Reads.TryOwnedCopy(Key(1), device.SlotOf(Key(2)), buffer);

        Assert.True(answer < 0, $"answered {answer}");
        Assert.NotEqual(Payload(2), buffer);
        Assert.Equal(128, store.TopReader.Reads.TryOwnedCopy(Key(1), device.SlotOf(Key(1)), buffer));
        Assert.Equal(Payload(1), buffer);
    }

    [Fact]
    public void A_stale_hint_to_the_key_s_own_freed_slot_is_refused_while_the_slot_is_unbound()
    {
        var device = new HookedDevice(4, 128);
        using TieredKvStore store = Store(device, lru: false);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        int slot = device.SlotOf(Key(1));
        store.Remove(Key(1)); // freed: its owner is still key 1, its version odd until the slot is bound again

        int answer = store.TopReader.Reads.TryOwnedCopy(Key(1), slot, new byte[128]);

        Assert.True(answer < 0, $"answered {answer}");
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(4)]
    [InlineData(int.MaxValue)]
    public void A_hint_outside_the_tier_is_refused_without_a_fault(int slot)
    {
        var device = new HookedDevice(4, 128);
        using TieredKvStore store = Store(device, lru: false);
        store.Put(Key(1), BlockKey.Empty, Payload(1));

        Assert.True(store.TopReader.Reads.TryOwnedCopy(Key(1), slot, new byte[128]) < 0);
    }
}
