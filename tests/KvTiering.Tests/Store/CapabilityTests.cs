using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>A user's device gets the store's fast paths by declaring capabilities, never by being a built-in type.</summary>
public sealed class CapabilityTests
{
    /// <summary>Managed-array slots, counting how the store reaches them.</summary>
    private class ArrayDevice(int slots, int slotBytes) : IBlockDevice
    {
        protected readonly byte[][] Bytes = [.. Enumerable.Range(0, slots).Select(_ => new byte[slotBytes])];
        protected readonly int[] Lengths = new int[slots];
        protected readonly BlockKey[] Keys = new BlockKey[slots];
        protected readonly BlockKey[] Parents = new BlockKey[slots];

        public int Reads;

        public int SlotCount => slots;

        public int SlotBytes => slotBytes;

        public bool StoresPayload => true;

        public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
        {
            payload.CopyTo(Bytes[slot]);
            Lengths[slot] = payload.Length;
            Keys[slot] = key;
            Parents[slot] = parent;
        }

        public int Read(int slot, in BlockKey key, Span<byte> destination)
        {
            Interlocked.Increment(ref Reads);
            if (!Keys[slot].Equals(key))
            {
                return -1;
            }

            Bytes[slot].AsSpan(0, Lengths[slot]).CopyTo(destination);
            return Lengths[slot];
        }

        public int PayloadLength(int slot) => Lengths[slot];

        public void Free(int slot)
        {
            Lengths[slot] = 0;
            Keys[slot] = default;
        }

        public void Dispose()
        {
        }
    }

    private sealed class DirectArrayDevice(int slots, int slotBytes) : ArrayDevice(slots, slotBytes), IDirectSlotAccess
    {
        public int InPlace;

        public ReadOnlySpan<byte> Payload(int slot)
        {
            Interlocked.Increment(ref InPlace);
            return Bytes[slot].AsSpan(0, Math.Min(Lengths[slot], SlotBytes));
        }
    }

    /// <summary>Survives "restarts" by handing back what it holds.</summary>
    private sealed class RememberingDevice(int slots, int slotBytes) : ArrayDevice(slots, slotBytes), IPersistentBlockDevice
    {
        public IReadOnlyList<RecoveredBlock> Recover() =>
            [.. Enumerable.Range(0, SlotCount).Where(s => !Keys[s].IsEmpty).Select(s => new RecoveredBlock(s, Keys[s], Parents[s], Lengths[s], 1))];
    }

    private static TieredKvStore Store(params IBlockDevice[] devices)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        foreach (IBlockDevice device in devices)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{options.Tiers.Count}"), device.SlotCount)
            {
                Policy = EvictionPolicy.Lru,
                DeviceFactory = (_, _) => device,
            });
        }

        return new TieredKvStore(options);
    }

    [Fact]
    public void A_device_with_direct_slot_access_serves_top_tier_hits_in_place_without_the_lock()
    {
        var direct = new DirectArrayDevice(4, 128);
        using TieredKvStore store = Store(direct);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        var buffer = new byte[128];

        for (int i = 0; i < 10; i++)
        {
            Assert.True(store.TryGet(Key(1), buffer, out int written));
            Assert.Equal(Payload(1), buffer.AsSpan(0, written).ToArray());
        }

        Assert.Equal(0, direct.Reads);
        Assert.True(direct.InPlace >= 10);
    }

    [Fact]
    public void Without_the_capability_the_same_device_is_read_through_the_lock()
    {
        var plain = new ArrayDevice(4, 128);
        using TieredKvStore store = Store(plain);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        var buffer = new byte[128];

        Assert.True(store.TryGet(Key(1), buffer, out int written));

        Assert.Equal(Payload(1), buffer.AsSpan(0, written).ToArray());
        Assert.Equal(1, plain.Reads);
    }

    [Fact]
    public async Task A_direct_device_below_hands_its_bytes_over_in_place_when_a_block_moves_up()
    {
        var top = new ArrayDevice(2, 128);
        var below = new DirectArrayDevice(4, 128);
        using TieredKvStore store = Store(top, below);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        int before = below.Reads;
        Assert.Equal(1, await store.PrefetchAsync(new[] { Key(0) }));

        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.Equal(before, below.Reads); // moved from the slot in place, not read through a bounce buffer
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written));
        Assert.Equal(Payload(0), buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void A_persistent_device_is_recovered_and_flushed_into()
    {
        var remembering = new RememberingDevice(8, 128);
        using (TieredKvStore first = Store(new ArrayDevice(2, 128), remembering))
        {
            for (int i = 0; i < 3; i++)
            {
                first.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i));
            }

            Assert.Equal(2, first.Flush()); // the two top-tier blocks move down to the persistent tier
        }

        using TieredKvStore second = Store(new ArrayDevice(2, 128), remembering);
        Assert.Equal(3, second.Count);
        var buffer = new byte[128];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1, second.TierOf(Key(i)));
            Assert.True(second.TryGet(Key(i), buffer, out int written));
            Assert.Equal(Payload(i), buffer.AsSpan(0, written).ToArray());
        }
    }
}
