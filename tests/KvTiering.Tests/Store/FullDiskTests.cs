using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A full file system fails every write into a slot the flash file never wrote, and only those. Before, a failed slot
/// went back on top of the free stack, so every later block took the same hole and failed, and the tier, far from
/// full, never evicted: it stopped taking blocks (the operator's drill, docs/reliability.md). Now a failed slot is set
/// aside; once only set-aside slots are left the tier evicts and rewrites the slots it has, and the set-aside ones are
/// tried again, one probe first, once writes have stopped failing for a minute.
/// </summary>
public sealed class FullDiskTests
{
    private const int Slots = 16;
    private const int Written = 4;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 11, 0, 0, TimeSpan.Zero));

    private (TieredKvStore Store, DiskDevice Disk) Open()
    {
        var disk = new DiskDevice(Slots, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, TimeProvider = _time };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, Slots) { DeviceFactory = (_, _) => disk, Policy = EvictionPolicy.Lru });
        var store = new TieredKvStore(options);
        for (int i = 0; i < Written; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        disk.Full = true;
        return (store, disk);
    }

    private static bool Holds(TieredKvStore store, int i)
    {
        byte[] buffer = new byte[256];
        return store.TryGet(Key(i), buffer, out int n) && buffer.AsSpan(0, n).SequenceEqual(Payload(i));
    }

    [Fact]
    public void A_full_disk_costs_one_failure_per_hole_then_the_tier_evicts_and_serves_from_the_slots_it_has()
    {
        (TieredKvStore store, _) = Open();
        using (store)
        {
            for (int i = 100; i < 130; i++)
            {
                store.Put(Key(i), BlockKey.Empty, Payload(i));
            }

            TierStatistics tier = store.GetStatistics().Tiers[0];
            Assert.Equal(Slots - Written, tier.WriteFailures); // one per hole, not one per put (30 before)
            Assert.Equal(Slots - Written, tier.SetAsideSlots);
            Assert.Equal(Written, tier.ResidentBlocks);
            Assert.True(tier.Evictions > 0);
            for (int i = 126; i < 130; i++)
            {
                Assert.True(Holds(store, i), $"block {i}: the latest puts live in the written slots");
            }
        }
    }

    [Fact]
    public void Set_aside_slots_come_back_a_probe_first_once_writes_stop_failing_and_a_disk_still_full_costs_one_block_a_minute()
    {
        (TieredKvStore store, DiskDevice disk) = Open();
        using (store)
        {
            int next = 100;
            for (; next < 120; next++)
            {
                store.Put(Key(next), BlockKey.Empty, Payload(next));
            }

            // Still full a minute later: one probe goes back, fails, and is set aside again.
            _time.Advance(TimeSpan.FromSeconds(SlotQuarantine.RetrySeconds + 1));
            for (int end = next + 10; next < end; next++)
            {
                store.Put(Key(next), BlockKey.Empty, Payload(next));
            }

            TierStatistics tier = store.GetStatistics().Tiers[0];
            Assert.Equal(Slots - Written + 1, tier.WriteFailures);
            Assert.Equal(Slots - Written, tier.SetAsideSlots);

            // Space is back: a minute on, the probe's write lands; a minute after that, every other slot returns.
            disk.Full = false;
            _time.Advance(TimeSpan.FromSeconds(SlotQuarantine.RetrySeconds + 1));
            store.Put(Key(next), BlockKey.Empty, Payload(next++));
            Assert.Equal(Slots - Written - 1, store.GetStatistics().Tiers[0].SetAsideSlots);
            Assert.Equal(Written + 1, store.GetStatistics().Tiers[0].ResidentBlocks);

            _time.Advance(TimeSpan.FromSeconds(SlotQuarantine.RetrySeconds + 1));
            int first = next;
            for (int end = next + Slots; next < end; next++)
            {
                store.Put(Key(next), BlockKey.Empty, Payload(next));
            }

            tier = store.GetStatistics().Tiers[0];
            Assert.Equal(0, tier.SetAsideSlots);
            Assert.Equal(Slots, tier.ResidentBlocks);
            Assert.Equal(Slots - Written + 1, tier.WriteFailures);
            for (int i = first; i < next; i++)
            {
                Assert.True(Holds(store, i), $"block {i}");
            }
        }
    }

    [Fact]
    public void A_write_failing_for_another_reason_leaves_its_slot_in_use()
    {
        // A remote tier's lost connection or an I/O error says nothing about the slot: it is not set aside.
        var device = new KvTiering.Tests.Diagnostics.FaultyDevice(Slots, TinyLayout.BytesPerBlock) { FailWrites = true };
        var options = new KvStoreOptions { Layout = TinyLayout, TimeProvider = _time };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, Slots) { DeviceFactory = (_, _) => device });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 2 * Slots; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.Equal(0, store.GetStatistics().Tiers[0].SetAsideSlots);
        device.FailWrites = false;
        for (int i = 100; i < 100 + Slots; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        Assert.Equal(Slots, store.GetStatistics().Tiers[0].ResidentBlocks);
    }

    /// <summary>A device on a file system that can fill: a slot never written needs new space, and a full disk has none.</summary>
    private sealed class DiskDevice(int slots, int slotBytes) : IBlockDevice
    {
        private readonly MemoryDevice _inner = new(slots, slotBytes);
        private readonly bool[] _written = new bool[slots];

        public bool Full { get; set; }

        public int SlotCount => _inner.SlotCount;

        public int SlotBytes => _inner.SlotBytes;

        public bool StoresPayload => true;

        public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
        {
            if (Full && !_written[slot])
            {
                throw new IOException("No space left on device", 28); // ENOSPC, as .NET reports it on Linux
            }

            _inner.Write(slot, key, parent, payload);
            _written[slot] = true;
        }

        public int Read(int slot, in BlockKey key, Span<byte> destination) => _inner.Read(slot, key, destination);

        public int PayloadLength(int slot) => _inner.PayloadLength(slot);

        public void Free(int slot) => _inner.Free(slot); // a sparse file keeps a freed slot's pages

        public void Dispose() => _inner.Dispose();
    }
}
