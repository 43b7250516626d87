using KvTiering.Blocks;
using KvTiering.Devices;
using Microsoft.Extensions.Logging;

namespace KvTiering.Tests.Tiers;

public sealed class DirectIOTests : IDisposable
{
    private const int Slots = 16;
    private const int SlotBytes = 20_000; // not a page multiple: the I/O rounds up, the payload does not

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int i) => new((ulong)i + 1, 0xD1EC7);

    private static byte[] Payload(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The open flags of <paramref name="device"/>'s descriptor, as the kernel reports them.</summary>
    private static int OpenFlags(FlashDevice device)
    {
        int fd = (int)device.Handle.DangerousGetHandle();
        string line = File.ReadLines($"/proc/self/fdinfo/{fd}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    [Fact]
    public void On_a_disk_file_system_the_file_is_open_with_O_DIRECT_and_blocks_round_trip()
    {
        using var device = new FlashDevice(_temp.Sub("flash"), Slots, SlotBytes);
        Assert.True(device.DirectIO, device.BufferedReason);
        Assert.Null(device.BufferedReason);
        Assert.NotEqual(0, OpenFlags(device) & DirectFile.DirectFlag);
        for (int i = 0; i < Slots; i++)
        {
            device.Write(i, Key(i), BlockKey.Empty, Payload(i, 1 + (i * 1237 % SlotBytes)));
        }

        for (int i = 0; i < Slots; i++)
        {
            var buffer = new byte[SlotBytes];
            int length = 1 + (i * 1237 % SlotBytes);
            Assert.Equal(length, device.Read(i, Key(i), buffer));
            Assert.Equal(Payload(i, length), buffer[..length]);
        }
    }

    [Fact]
    public void Asking_for_buffered_IO_opens_without_O_DIRECT()
    {
        using var device = new FlashDevice(_temp.Sub("flash"), Slots, SlotBytes, new FlashDeviceOptions { DirectIO = false });
        Assert.False(device.DirectIO);
        Assert.Null(device.BufferedReason);
        Assert.Equal(0, OpenFlags(device) & DirectFile.DirectFlag);
    }

    [Fact]
    public void On_tmpfs_the_flags_the_kernel_reports_agree_with_the_device()
    {
        // tmpfs refused O_DIRECT before Linux 6.6 and accepts it since: either way the device must say which it got.
        string dir = Path.Combine("/dev/shm", "kvt-direct-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var device = new FlashDevice(dir, Slots, SlotBytes);
            Assert.Equal(device.DirectIO, (OpenFlags(device) & DirectFile.DirectFlag) != 0);
            Assert.Equal(device.DirectIO, device.BufferedReason is null);
            device.Write(5, Key(5), BlockKey.Empty, Payload(5, 4097));
            var buffer = new byte[SlotBytes];
            Assert.Equal(4097, device.Read(5, Key(5), buffer));
            Assert.Equal(Payload(5, 4097), buffer[..4097]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Where_O_DIRECT_is_refused_the_device_falls_back_to_buffered_IO_logs_why_and_still_recovers()
    {
        string dir = _temp.Sub("refused");
        var logger = new CapturingLogger();
        var options = new FlashDeviceOptions { Logger = logger, RefuseDirectIO = true };
        using (var device = new FlashDevice(dir, Slots, SlotBytes, options))
        {
            Assert.False(device.DirectIO);
            Assert.Contains("errno 22", device.BufferedReason, StringComparison.Ordinal); // EINVAL
            Assert.Equal(0, OpenFlags(device) & DirectFile.DirectFlag);
            var entry = Assert.Single(logger.Entries);
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Equal("FlashBufferedFallback", entry.EventName);
            Assert.Contains(device.FilePath, entry.Message, StringComparison.Ordinal);
            device.Write(3, Key(3), BlockKey.Empty, Payload(3, SlotBytes));
        }

        using var reopened = new FlashDevice(dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Key(3), Assert.Single(reopened.Recover()).Key);
        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, reopened.Read(3, Key(3), buffer));
        Assert.Equal(Payload(3, SlotBytes), buffer);
    }

    [Fact]
    public void A_second_device_on_the_same_directory_is_refused_naming_the_file()
    {
        using var first = new FlashDevice(_temp.Sub("flash"), Slots, SlotBytes);
        var ex = Assert.Throws<IOException>(() => new FlashDevice(_temp.Sub("flash"), Slots, SlotBytes));
        Assert.Contains(first.FilePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_depth_below_one_is_refused_naming_the_value()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => new FlashDevice(_temp.Sub("flash"), Slots, SlotBytes, new FlashDeviceOptions { QueueDepth = 0 }));
        Assert.Contains("Queue depth 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blocks_written_with_direct_IO_are_recovered_by_a_buffered_reopen_and_back()
    {
        string dir = _temp.Sub("flash");
        using (var device = new FlashDevice(dir, Slots, SlotBytes, new FlashDeviceOptions { Compression = true }))
        {
            device.Write(1, Key(1), BlockKey.Empty, new byte[SlotBytes]); // compresses
            device.Write(2, Key(2), Key(1), Payload(2, 777));
        }

        for (int round = 0; round < 2; round++)
        {
            using var reopened = new FlashDevice(dir, Slots, SlotBytes,
                new FlashDeviceOptions { Compression = true, DirectIO = round == 1, QueueDepth = 1, RecoveryVerificationBudget = PatientFlash.Budget });
            Assert.Equal([Key(1), Key(2)], reopened.Recover().Select(b => b.Key));
            var buffer = new byte[SlotBytes];
            Assert.Equal(SlotBytes, reopened.Read(1, Key(1), buffer));
            Assert.All(buffer, b => Assert.Equal(0, b));
            Assert.Equal(777, reopened.Read(2, Key(2), buffer));
            Assert.Equal(Payload(2, 777), buffer[..777]);
            Assert.Equal(round == 1, reopened.DirectIO);
        }
    }

    [Fact]
    public void A_file_in_the_old_header_table_format_is_refused_naming_its_version()
    {
        string dir = _temp.Sub("flash");
        using (new FlashDevice(dir, Slots, SlotBytes))
        {
        }

        string path = Path.Combine(dir, FlashDevice.FileName);
        var superblock = new byte[FlashGeometry.PageBytes];
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Read(handle, superblock, 0);
            superblock[8] = 1; // version 1, checksum recomputed: a well-formed superblock of the old layout
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(superblock.AsSpan(56),
                System.IO.Hashing.XxHash3.HashToUInt64(superblock.AsSpan(0, 56)));
            RandomAccess.Write(handle, superblock, 0);
        }

        var strict = new FlashDeviceOptions { CorruptFile = CorruptFileAction.Throw };
        var ex = Assert.Throws<InvalidDataException>(() => new FlashDevice(dir, Slots, SlotBytes, strict));
        Assert.Contains("format version 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }
}
