using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Tiers;

public sealed class FlashDeviceTests : IDisposable
{
    private const int Slots = 8;
    private const int SlotBytes = 5000; // not a multiple of 4 KiB, so the stride pads

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int i) => new((ulong)i + 1, 0x5EED);

    private static byte[] Random(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Highly compressible: a short repeating pattern.</summary>
    private static byte[] Pattern(int seed, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i % 13) + seed);
        }

        return bytes;
    }

    private static void FlipByte(string path, long offset)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var one = new byte[1];
        Assert.Equal(1, RandomAccess.Read(handle, one, offset));
        one[0] ^= 0x5A;
        RandomAccess.Write(handle, one, offset);
    }

    private static bool TryReadHeader(string path, int slot, out FlashSlotHeader header)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open);
        var bytes = new byte[FlashSlotHeader.Size];
        RandomAccess.Read(handle, bytes, new FlashGeometry(Slots, SlotBytes).SlotOffset(slot));
        return FlashSlotHeader.TryRead(bytes, slot, SlotBytes, out header);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_then_Read_round_trips_full_and_short_blocks(bool compression)
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, compression);
        byte[] full = Random(1, SlotBytes);
        byte[] small = Random(2, 17);
        device.Write(0, Key(0), BlockKey.Empty, full);
        device.Write(5, Key(5), Key(0), small);

        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, device.Read(0, Key(0), buffer));
        Assert.Equal(full, buffer);
        Assert.Equal(17, device.Read(5, Key(5), buffer));
        Assert.Equal(small, buffer[..17]);
        Assert.Equal(17, device.PayloadLength(5));
        Assert.Equal(0, device.PayloadLength(3));
        Assert.Equal(-1, device.Read(3, Key(3), buffer));
    }

    [Fact]
    public void Compression_shrinks_compressible_blocks_and_keeps_incompressible_ones_raw()
    {
        byte[] compressible = Pattern(3, SlotBytes);
        byte[] incompressible = Random(4, SlotBytes);
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, compression: true))
        {
            device.Write(1, Key(1), BlockKey.Empty, compressible);
            device.Write(2, Key(2), BlockKey.Empty, incompressible);
            var buffer = new byte[SlotBytes];
            Assert.Equal(SlotBytes, device.Read(1, Key(1), buffer));
            Assert.Equal(compressible, buffer);
            Assert.Equal(SlotBytes, device.Read(2, Key(2), buffer));
            Assert.Equal(incompressible, buffer);
        }

        string file = Path.Combine(Dir, FlashDevice.FileName);
        Assert.True(TryReadHeader(file, 1, out FlashSlotHeader packed));
        Assert.True(packed.Compressed);
        Assert.True(packed.StoredLength < SlotBytes / 4, $"stored {packed.StoredLength} bytes");
        Assert.True(TryReadHeader(file, 2, out FlashSlotHeader raw));
        Assert.False(raw.Compressed);
        Assert.Equal(SlotBytes, raw.StoredLength);
    }

    [Fact]
    public void Compressed_blocks_read_back_after_reopening_without_compression()
    {
        byte[] compressible = Pattern(5, 3000);
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options(compression: true)))
        {
            device.Write(4, Key(4), BlockKey.Empty, compressible);
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options(compression: false));
        Assert.Single(reopened.Recover());
        var buffer = new byte[SlotBytes];
        Assert.Equal(3000, reopened.Read(4, Key(4), buffer));
        Assert.Equal(compressible, buffer[..3000]);
    }

    [Fact]
    public void Read_with_another_key_misses()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        device.Write(0, Key(0), BlockKey.Empty, Random(6, 100));
        var buffer = new byte[SlotBytes];
        Assert.Equal(-1, device.Read(0, Key(1), buffer));
    }

    [Fact]
    public void Read_into_a_short_destination_throws_naming_it()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        device.Write(0, Key(0), BlockKey.Empty, Random(7, 300));
        var ex = Assert.Throws<ArgumentException>(() => device.Read(0, Key(0), new byte[299]));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("299", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_rejects_bad_payloads_and_slots()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        Assert.Throws<ArgumentException>(() => device.Write(0, Key(0), BlockKey.Empty, new byte[SlotBytes + 1]));
        Assert.Throws<ArgumentException>(() => device.Write(0, Key(0), BlockKey.Empty, ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>(() => device.Write(0, BlockKey.Empty, BlockKey.Empty, new byte[10]));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => device.Write(Slots, Key(0), BlockKey.Empty, new byte[10]));
        Assert.Equal("slot", ex.ParamName);
    }

    [Fact]
    public void Constructor_validates_geometry()
    {
        var count = Assert.Throws<ArgumentOutOfRangeException>(() => new FlashDevice(Dir, 0, SlotBytes));
        Assert.Equal("slotCount", count.ParamName);
        var bytes = Assert.Throws<ArgumentOutOfRangeException>(() => new FlashDevice(Dir, Slots, 0));
        Assert.Equal("slotBytes", bytes.ParamName);
    }

    [Fact]
    public void Reopening_recovers_keys_parents_and_lengths_and_continues_generations()
    {
        byte[] a = Random(8, SlotBytes);
        byte[] b = Random(9, 1234);
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            Assert.Empty(device.Recover());
            device.Write(2, Key(2), BlockKey.Empty, a);
            device.Write(6, Key(6), Key(2), b);
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        IReadOnlyList<RecoveredBlock> blocks = reopened.Recover();
        Assert.Equal(2, blocks.Count);
        Assert.Equal((2, Key(2), BlockKey.Empty, SlotBytes), (blocks[0].Slot, blocks[0].Key, blocks[0].Parent, blocks[0].PayloadLength));
        Assert.Equal((6, Key(6), Key(2), 1234), (blocks[1].Slot, blocks[1].Key, blocks[1].Parent, blocks[1].PayloadLength));
        Assert.True(blocks[1].Generation > blocks[0].Generation);
        Assert.Equal(1234, reopened.PayloadLength(6));

        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, reopened.Read(2, Key(2), buffer));
        Assert.Equal(a, buffer);
        Assert.Equal(1234, reopened.Read(6, Key(6), buffer));
        Assert.Equal(b, buffer[..1234]);

        reopened.Write(0, Key(0), BlockKey.Empty, a);
        RecoveredBlock newest = reopened.Recover().Single(x => x.Slot == 0);
        Assert.True(newest.Generation > blocks[1].Generation);
    }

    [Fact]
    public void The_newest_copy_of_a_key_wins_and_older_copies_never_resurface()
    {
        byte[] payload = Random(10, 200);
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(1, Key(1), BlockKey.Empty, payload);
            device.Write(3, Key(1), BlockKey.Empty, payload);
        }

        using (var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            RecoveredBlock block = Assert.Single(reopened.Recover());
            Assert.Equal(3, block.Slot);
            Assert.Equal(0, reopened.PayloadLength(1));
            reopened.Free(3);
        }

        using var again = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Empty(again.Recover());
    }

    [Fact]
    public void Freed_blocks_are_not_recovered()
    {
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(0, Key(0), BlockKey.Empty, Random(11, 64));
            device.Write(1, Key(1), BlockKey.Empty, Random(12, 64));
            device.Free(0);
            Assert.Equal(0, device.PayloadLength(0));
            Assert.Equal(-1, device.Read(0, Key(0), new byte[SlotBytes]));
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        RecoveredBlock block = Assert.Single(reopened.Recover());
        Assert.Equal(Key(1), block.Key);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flipped_payload_byte_is_not_recovered_and_its_read_misses(bool compression)
    {
        byte[] payload = compression ? Pattern(13, SlotBytes) : Random(13, SlotBytes);
        long offset;
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options(compression)))
        {
            device.Write(3, Key(3), BlockKey.Empty, payload);
            device.Write(4, Key(4), BlockKey.Empty, payload);
            offset = device.PayloadOffset(3) + 7;
        }

        FlipByte(Path.Combine(Dir, FlashDevice.FileName), offset);
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options(compression));
        Assert.Equal(Key(4), Assert.Single(reopened.Recover()).Key); // the payload is verified at open
        Assert.Equal(1, reopened.GetStatistics().LostWrites);
        var buffer = new byte[SlotBytes];
        Assert.Equal(-1, reopened.Read(3, Key(3), buffer));
        Assert.Equal(SlotBytes, reopened.Read(4, Key(4), buffer));
        Assert.Equal(payload, buffer);
    }

    [Theory]
    [InlineData(0)]   // magic
    [InlineData(33)]  // key
    [InlineData(50)]  // parent
    [InlineData(12)]  // raw length
    [InlineData(124)] // the header checksum itself
    public void A_flipped_header_byte_drops_the_block(int headerByte)
    {
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(3, Key(3), BlockKey.Empty, Random(14, 500));
            device.Write(4, Key(4), BlockKey.Empty, Random(15, 500));
        }

        FlipByte(Path.Combine(Dir, FlashDevice.FileName), new FlashGeometry(Slots, SlotBytes).SlotOffset(3) + headerByte);
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        RecoveredBlock block = Assert.Single(reopened.Recover());
        Assert.Equal(Key(4), block.Key);
        Assert.Equal(-1, reopened.Read(3, Key(3), new byte[SlotBytes]));
    }

    [Fact]
    public void Reopening_with_another_geometry_throws_naming_both_when_strict()
    {
        new FlashDevice(Dir, Slots, SlotBytes).Dispose();
        var strict = new FlashDeviceOptions { CorruptFile = CorruptFileAction.Throw };
        var ex = Assert.Throws<InvalidDataException>(() => new FlashDevice(Dir, Slots * 2, SlotBytes, strict));
        Assert.Contains($"{Slots} slots of {SlotBytes} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Slots * 2} slots of {SlotBytes} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => new FlashDevice(Dir, Slots, SlotBytes + 1, strict));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(60)]
    public void A_corrupt_superblock_throws_when_strict(int offset)
    {
        new FlashDevice(Dir, Slots, SlotBytes).Dispose();
        FlipByte(Path.Combine(Dir, FlashDevice.FileName), offset);
        var ex = Assert.Throws<InvalidDataException>(() =>
            new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { CorruptFile = CorruptFileAction.Throw }));
        Assert.Contains("superblock", ex.Message, StringComparison.Ordinal);
    }
}
