using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Win32.SafeHandles;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class FlashTierTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    /// <summary>Compressible, distinct per block: a repeating run seeded by the block number.</summary>
    private static byte[] Compressible(int i)
    {
        var bytes = new byte[128];
        for (int k = 0; k < bytes.Length; k++)
        {
            bytes[k] = (byte)(i + (k % 5));
        }

        return bytes;
    }

    /// <summary>Puts blocks 0..count-1 as one chain.</summary>
    private static void PutChain(TieredKvStore store, int count, Func<int, byte[]> payload)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), payload(i)));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Blocks_demoted_to_flash_survive_a_restart_byte_for_byte(bool compression)
    {
        Func<int, byte[]> payload = compression ? Compressible : i => Payload(i);
        using (TieredKvStore store = CreateWithFlash(Dir, [2], 8, compression))
        {
            PutChain(store, 6, payload);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(1, store.TierOf(Key(i)));
            }

            Assert.Equal(4, store.GetStatistics().Tiers[1].ResidentBlocks);
        }

        using TieredKvStore reopened = CreateWithFlash(Dir, [2], 8, compression);
        Assert.Equal(4, reopened.Count);
        Assert.Equal(-1, reopened.TierOf(Key(4))); // it was in memory
        var buffer = new byte[reopened.BlockBytes];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1, reopened.TierOf(Key(i)));
            Assert.True(reopened.TryGet(Key(i), buffer, out int written, out int tier));
            Assert.Equal(1, tier);
            Assert.Equal(payload(i), buffer[..written]);
        }

        Assert.Equal(0, reopened.GetStatistics().Tiers[1].ChecksumFailures);
    }

    [Fact]
    public void A_flipped_payload_byte_makes_the_store_miss_and_count_a_checksum_failure()
    {
        FlashDevice? device = null;
        using TieredKvStore store = CreateWithFlash(Dir, [1], 4, flashFactory: (slots, bytes) =>
            device = new FlashDevice(Dir, slots, bytes, new FlashDeviceOptions { DirectIO = false }));
        PutChain(store, 3, i => Payload(i));

        // Damage behind the open store's back, through its own (buffered) descriptor: the file is locked to others.
        var page = new byte[FlashSlotHeader.Size];
        int slot = Enumerable.Range(0, 4).Single(s =>
        {
            RandomAccess.Read(device!.Handle, page, device.HeaderOffset(s));
            return FlashSlotHeader.TryRead(page, s, device.SlotBytes, out FlashSlotHeader h) && h.Key.Equals(Key(0));
        });
        var one = new byte[1];
        RandomAccess.Read(device!.Handle, one, device.PayloadOffset(slot) + 40);
        one[0] ^= 0xFF;
        RandomAccess.Write(device.Handle, one, device.PayloadOffset(slot) + 40);

        Assert.Equal(3, store.Count);
        var buffer = new byte[store.BlockBytes];
        Assert.False(store.TryGet(Key(0), buffer, out _));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Tiers[1].ChecksumFailures);
        Assert.Equal(2, store.Count);
        Assert.False(store.Contains(Key(0)));
        Assert.True(store.TryGet(Key(1), buffer, out int written));
        Assert.Equal(Payload(1), buffer[..written]);
    }

    [Fact]
    public void A_block_whose_payload_was_damaged_while_closed_is_not_recovered()
    {
        using (TieredKvStore store = CreateWithFlash(Dir, [1], 4))
        {
            PutChain(store, 3, i => Payload(i));
        }

        long offset;
        using (var probe = new FlashDevice(Dir, 4, TinyLayout.BytesPerBlock, PatientFlash.Options()))
        {
            RecoveredBlock first = probe.Recover().Single(b => b.Key.Equals(Key(0)));
            offset = probe.PayloadOffset(first.Slot) + 40;
        }

        using (SafeFileHandle handle = File.OpenHandle(Path.Combine(Dir, FlashDevice.FileName), FileMode.Open, FileAccess.ReadWrite))
        {
            var one = new byte[1];
            RandomAccess.Read(handle, one, offset);
            one[0] ^= 0xFF;
            RandomAccess.Write(handle, one, offset);
        }

        using TieredKvStore reopened = CreateWithFlash(Dir, [1], 4);
        Assert.Equal(1, reopened.Count);
        Assert.False(reopened.Contains(Key(0)));
        Assert.Equal(0, reopened.GetStatistics().Tiers[1].ChecksumFailures); // caught at open, before any read
        var buffer = new byte[reopened.BlockBytes];
        Assert.True(reopened.TryGet(Key(1), buffer, out int written));
        Assert.Equal(Payload(1), buffer[..written]);
    }

    [Fact]
    public void Removed_and_promoted_blocks_are_not_recovered()
    {
        using (TieredKvStore store = CreateWithFlash(Dir, [2], 8))
        {
            PutChain(store, 6, i => Payload(i));
            Assert.True(store.Remove(Key(0)));
            Assert.True(store.TryGet(Key(1), new byte[store.BlockBytes], out _, out int tier));
            Assert.Equal(1, tier);
            Assert.Equal(0, store.TierOf(Key(1)));
        }

        using TieredKvStore reopened = CreateWithFlash(Dir, [2], 8);
        Assert.False(reopened.Contains(Key(0)));
        Assert.False(reopened.Contains(Key(1)));
        Assert.True(reopened.Contains(Key(2)));
    }

    [Fact]
    public void A_full_disk_drops_demoted_blocks_and_keeps_the_store_consistent()
    {
        bool full = false;
        using TieredKvStore store = CreateWithFlash(Dir, [2], 8,
            flashFactory: (slots, bytes) => new FlashDevice(Dir, slots, bytes) { FailWrite = (_, _) => full });
        PutChain(store, 4, i => Payload(i)); // blocks 0 and 1 demote to flash
        full = true;
        for (int i = 4; i < 7; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), Key(i - 1), Payload(i)));
        }

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(3, stats.Tiers[1].WriteFailures);
        Assert.Equal(3, stats.Tiers[0].Evictions);
        Assert.Equal(4, store.Count); // blocks 0 and 1 in flash, 5 and 6 in memory; 2, 3 and 4 dropped
        Assert.Equal(2, stats.Tiers[1].ResidentBlocks);
        var buffer = new byte[store.BlockBytes];
        foreach (int i in new[] { 2, 3, 4 })
        {
            Assert.False(store.Contains(Key(i)));
        }

        // A flash hit still reads while the disk is full; its promotion pushes block 5 down, and that write fails.
        Assert.True(store.TryGet(Key(0), buffer, out int hit, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..hit]);
        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.False(store.Contains(Key(5)));
        Assert.Equal(4, store.GetStatistics().Tiers[1].WriteFailures);
        Assert.Equal(3, store.Count);

        full = false;
        foreach (int i in new[] { 0, 1, 6 })
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i}");
            Assert.Equal(Payload(i), buffer[..written]);
        }
    }

    [Fact]
    public void A_full_disk_drops_a_put_into_a_flash_only_store()
    {
        using TieredKvStore store = CreateWithFlash(Dir, [], 4,
            flashFactory: (slots, bytes) => new FlashDevice(Dir, slots, bytes) { FailWrite = (_, _) => true });
        Assert.Equal(PutResult.Dropped, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(0, store.Count);
        Assert.Equal(1, store.GetStatistics().Tiers[0].WriteFailures);
        Assert.False(store.TryGet(Key(0), new byte[store.BlockBytes], out _));
    }

    [Fact]
    public void A_flash_tier_with_another_geometry_starts_empty_or_fails_the_store_clearly_when_strict()
    {
        using (TieredKvStore store = CreateWithFlash(Dir, [1], 4))
        {
            PutChain(store, 3, i => Payload(i));
            store.Flush();
        }

        using (TieredKvStore healed = CreateWithFlash(Dir, [1], 5))
        {
            Assert.Equal(0, healed.Count);
            Assert.Equal(PutResult.Stored, healed.Put(Key(9), BlockKey.Empty, Payload(9)));
        }

        var ex = Assert.Throws<InvalidDataException>(() => CreateWithFlash(Dir, [1], 4, corruptFile: CorruptFileAction.Throw));
        Assert.Contains("4 slots", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5 slots", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_store_releases_the_flash_file()
    {
        TieredKvStore store = CreateWithFlash(Dir, [1], 4);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Put(Key(0), BlockKey.Empty, Payload(0)));
        using TieredKvStore again = CreateWithFlash(Dir, [1], 4); // the exclusive handle was closed
        Assert.Equal(0, again.Count);
    }
}
