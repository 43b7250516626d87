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
/// probed on the tier's own clock with back-off, one slot first, then twice as many per round whose writes landed.
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
    public void Set_aside_slots_are_probed_with_backoff_while_the_disk_stays_full_and_all_come_back_once_it_has_room()
    {
        (TieredKvStore store, DiskDevice disk) = Open();
        using (store)
        {
            int next = 100;
            void Put(int count)
            {
                for (int end = next + count; next < end; next++)
                {
                    store.Put(Key(next), BlockKey.Empty, Payload(next));
                }
            }

            Put(20);
            Assert.Equal(Slots - Written, store.GetStatistics().Tiers[0].WriteFailures);

            // Still full: the first probe comes a second later and fails; the next waits twice as long.
            _time.Advance(TimeSpan.FromSeconds(SlotQuarantine.FirstProbeSeconds));
            Put(5);
            Assert.Equal(Slots - Written + 1, store.GetStatistics().Tiers[0].WriteFailures);
            _time.Advance(TimeSpan.FromSeconds(1));
            Put(5);
            Assert.Equal(Slots - Written + 1, store.GetStatistics().Tiers[0].WriteFailures);
            _time.Advance(TimeSpan.FromSeconds(1));
            Put(5);
            Assert.Equal(Slots - Written + 2, store.GetStatistics().Tiers[0].WriteFailures);

            // Full for ten minutes: the wait stops doubling at MaxProbeSeconds, so at most one dropped block per that.
            long before = store.GetStatistics().Tiers[0].WriteFailures;
            for (int s = 0; s < 600; s++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                Put(2);
            }

            long probes = store.GetStatistics().Tiers[0].WriteFailures - before;
            Assert.InRange(probes, 600 / (int)SlotQuarantine.MaxProbeSeconds - 1, (600 / (int)SlotQuarantine.MaxProbeSeconds) + 5);
            Assert.Equal(Slots - Written, store.GetStatistics().Tiers[0].SetAsideSlots);
            Assert.Equal(Written, store.GetStatistics().Tiers[0].ResidentBlocks);

            // Space is back: within MaxProbeSeconds a probe lands, then 2, 4, 8 slots come back as the tier needs them.
            disk.Full = false;
            _time.Advance(TimeSpan.FromSeconds(SlotQuarantine.MaxProbeSeconds));
            int first = next;
            Put(2 * Slots);
            TierStatistics tier = store.GetStatistics().Tiers[0];
            Assert.Equal(0, tier.SetAsideSlots);
            Assert.Equal(Slots, tier.ResidentBlocks);
            Assert.Equal(before + probes, tier.WriteFailures);
            for (int i = next - Slots; i < next; i++)
            {
                Assert.True(Holds(store, i), $"block {i}");
            }

            Assert.True(next - Slots > first);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Under_a_disk_that_fills_and_frees_every_30_s_set_aside_slots_are_back_in_use_within_each_free_window(bool writeBehind)
    {
        // The soak's rhythm: every 30 s the disk fills for 10 s, and the fill releases every slot's pages (holes: the
        // blocks in them are gone, and rewriting them needs space). Before, set-aside slots came back only after a
        // minute without a failed write, which this rhythm never gives: the tier stayed set aside for good. Written
        // behind (below a one-block top tier), a probe's write lands on the worker, which reports it.
        var disk = new DiskDevice(Slots, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, TimeProvider = _time };
        if (writeBehind)
        {
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, 1) { Policy = EvictionPolicy.Lru });
        }

        options.Tiers.Add(new TierOptions(TierProfiles.Flash, Slots) { DeviceFactory = (_, _) => disk, Policy = EvictionPolicy.Lru, WriteBehind = writeBehind });
        int t = writeBehind ? 1 : 0;
        using (var store = new TieredKvStore(options))
        {
            int next = 100;
            var buffer = new byte[256];
            void Put()
            {
                store.Put(Key(next), BlockKey.Empty, Payload(next));
                next++;
                StoreTestKit.WaitFor(() => store.WriteBehindPending == 0, "the write-behind queue to drain");
            }

            for (int cycle = 0; cycle < 10; cycle++)
            {
                disk.Full = true;
                disk.Punch();
                long failedBefore = store.GetStatistics().Tiers[t].WriteFailures;
                for (int tick = 0; tick < 20; tick++) // 10 s full, a put and a read every half second
                {
                    _time.Advance(TimeSpan.FromSeconds(0.5));
                    Put();
                    Assert.False(store.TryGet(Key(next - 3), buffer, out int n) && !buffer.AsSpan(0, n).SequenceEqual(Payload(next - 3)));
                }

                TierStatistics full = store.GetStatistics().Tiers[t];
                Assert.True(full.SetAsideSlots > Slots / 2, $"cycle {cycle}: {full.SetAsideSlots} set aside while full");
                Assert.InRange(full.WriteFailures - failedBefore, 1, Slots + 5); // a hole costs one block, a probe one more

                disk.Full = false;
                int freeFrom = next;
                for (int tick = 0; tick < 40; tick++) // 20 s free
                {
                    _time.Advance(TimeSpan.FromSeconds(0.5));
                    Put();
                }

                TierStatistics free = store.GetStatistics().Tiers[t];
                Assert.True(free.SetAsideSlots == 0, $"cycle {cycle}: {free.SetAsideSlots} slots still set aside after a 20 s free window");
                Assert.Equal(Slots, free.ResidentBlocks);
                for (int i = next - Slots; i < next; i++)
                {
                    Assert.True(i >= freeFrom && Holds(store, i), $"cycle {cycle}, block {i}");
                    StoreTestKit.WaitFor(() => store.WriteBehindPending == 0, "the read's demotion to land"); // a hit promotes, its victim is written behind
                }
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

        /// <summary>Releases every slot's pages (fallocate --punch-hole): their blocks are gone, and rewriting them needs space.</summary>
        public void Punch() => Array.Clear(_written);

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

        public int Read(int slot, in BlockKey key, Span<byte> destination) => _written[slot] ? _inner.Read(slot, key, destination) : -1;

        public int PayloadLength(int slot) => _inner.PayloadLength(slot);

        public void Free(int slot) => _inner.Free(slot); // a sparse file keeps a freed slot's pages

        public void Dispose() => _inner.Dispose();
    }
}
