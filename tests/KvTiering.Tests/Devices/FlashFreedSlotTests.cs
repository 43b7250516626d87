using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Devices;

/// <summary>
/// A free zeroes the slot's record as a range (<c>fallocate</c> <c>FALLOC_FL_ZERO_RANGE</c>), so the slot becomes a hole
/// that the next open's header scan skips; a slot written again after that reads its new record; and where the file
/// system cannot zero a range, the free writes zeros over the header as before, once told. The temporary directory is
/// on this machine's ext4 disk, which zeroes ranges and reports them as holes.
/// </summary>
public sealed partial class FlashFreedSlotTests : IDisposable
{
    private const int Slots = 4096;
    private const int SlotBytes = 16 * 1024; // stride 20 KiB
    private const int SeekHole = 4;

    // Scattered, with neighbours and run boundaries, full blocks at even slots and one-page blocks at odd ones.
    private static readonly int[] Written = [0, 1, 7, 255, 256, 257, 511, 512, 1000, 2047, 3333, 4094, 4095];
    private static readonly int[] Freed = [1, 256, 257, 1000, 4095];

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    private static FlashGeometry Geometry => new(Slots, SlotBytes);

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int slot, int generation = 0) => new((ulong)slot + 1, 0xF4EE + (ulong)generation);

    private static byte[] Payload(int slot, int generation = 0)
    {
        var bytes = new byte[slot % 2 == 0 ? SlotBytes : 1000];
        new Random(slot * 31 + generation).NextBytes(bytes);
        return bytes;
    }

    private void WriteScattered(FlashDeviceOptions? options = null)
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, options ?? PatientFlash.Options());
        foreach (int slot in Written)
        {
            device.Write(slot, Key(slot), BlockKey.Empty, Payload(slot));
        }
    }

    /// <summary>Whether the file system reports the start of <paramref name="slot"/> as a hole (SEEK_HOLE stays put).</summary>
    private bool HeaderIsHole(int slot)
    {
        using SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open);
        return HeaderIsHole(handle, slot);
    }

    /// <summary><see cref="HeaderIsHole(int)"/> through an open device's own descriptor (the file is locked to others).</summary>
    private static bool HeaderIsHole(SafeFileHandle handle, int slot)
    {
        long offset = Geometry.SlotOffset(slot);
        return Seek(handle, offset, SeekHole) == offset;
    }

    [Fact]
    public void Freed_slots_are_holes_and_the_next_open_reads_none_of_their_headers()
    {
        WriteScattered();
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            Assert.Equal(Written.Length, device.Recover().Count);
            foreach (int slot in Freed)
            {
                device.Free(slot);
            }

            FlashDeviceStatistics stats = device.GetStatistics();
            Assert.Equal(Freed.Length, stats.RangesZeroed);
            Assert.Equal(0, stats.HeadersZeroed);
        }

        Assert.All(Freed, slot => Assert.True(HeaderIsHole(slot), $"slot {slot} is not a hole"));
        Assert.All(Written.Except(Freed), slot => Assert.False(HeaderIsHole(slot), $"slot {slot} is a hole"));
        Assert.Equal(Geometry.FileLength, new FileInfo(FilePath).Length); // the file keeps its size

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        int[] kept = [.. Written.Except(Freed)];
        Assert.Equal(kept, reopened.Recover().Select(b => b.Slot).Order());
        Assert.Equal(kept.Length, reopened.GetStatistics().HeadersRead); // main read the freed ones too: 13
        var buffer = new byte[SlotBytes];
        foreach (int slot in kept)
        {
            int length = reopened.Read(slot, Key(slot), buffer);
            Assert.Equal(Payload(slot), buffer[..length]);
        }
    }

    [Fact]
    public void A_file_whose_every_record_was_freed_opens_reading_no_header()
    {
        WriteScattered();
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            foreach (int slot in Written)
            {
                device.Free(slot);
            }
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Empty(reopened.Recover());
        Assert.Equal(0, reopened.GetStatistics().HeadersRead);
    }

    [Fact]
    public void A_slot_written_again_after_its_free_reads_its_new_record_now_and_after_a_reopen()
    {
        WriteScattered();
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            foreach (int slot in Freed)
            {
                device.Free(slot);

                // Another key, and the other size: a short record where a full one was, and a full one where a short one was.
                device.Write(slot, Key(slot, 1), BlockKey.Empty, Payload(slot + 1, 1));
            }

            var buffer = new byte[SlotBytes];
            foreach (int slot in Freed)
            {
                Assert.Equal(-1, device.Read(slot, Key(slot), buffer));
                int length = device.Read(slot, Key(slot, 1), buffer);
                Assert.Equal(Payload(slot + 1, 1), buffer[..length]);
                Assert.False(HeaderIsHole(device.Handle, slot));
            }
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Written, reopened.Recover().Select(b => b.Slot).Order());
        var again = new byte[SlotBytes];
        foreach (int slot in Freed)
        {
            Assert.Equal(-1, reopened.Read(slot, Key(slot), again));
            int length = reopened.Read(slot, Key(slot, 1), again);
            Assert.Equal(Payload(slot + 1, 1), again[..length]);
        }
    }

    [Fact]
    public void A_record_the_open_drops_is_zeroed_as_a_range_so_the_open_after_skips_it()
    {
        WriteScattered();
        FlashSlotSurgery.ZeroPayload(FilePath, Geometry, 1000, 4096); // a lost write under an intact header
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            Assert.Equal(Written.Length - 1, device.Recover().Count);
            Assert.Equal(1, device.GetStatistics().LostWrites);
            Assert.Equal(1, device.GetStatistics().RangesZeroed);
        }

        Assert.True(HeaderIsHole(1000));
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Written.Length - 1, reopened.Recover().Count);
        Assert.Equal(Written.Length - 1, reopened.GetStatistics().HeadersRead);
        Assert.Equal(0, reopened.GetStatistics().LostWrites);
    }

    [Fact]
    public void Where_the_file_system_cannot_zero_a_range_a_free_zeroes_the_header_and_the_open_still_reads_it()
    {
        var options = new FlashDeviceOptions { RefuseZeroRange = true, RecoveryVerificationBudget = PatientFlash.Budget };
        WriteScattered(options);
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, options))
        {
            Assert.Equal(Written.Length, device.Recover().Count);
            foreach (int slot in Freed)
            {
                device.Free(slot);
            }

            FlashDeviceStatistics stats = device.GetStatistics();
            Assert.Equal(0, stats.RangesZeroed);
            Assert.Equal(Freed.Length, stats.HeadersZeroed);
        }

        Assert.All(Freed, slot => Assert.False(HeaderIsHole(slot))); // written zeros: data
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Written.Except(Freed), reopened.Recover().Select(b => b.Slot).Order());
        Assert.Equal(Written.Length, reopened.GetStatistics().HeadersRead);
    }

    [ShmFact]
    public void On_tmpfs_which_cannot_zero_a_range_the_device_says_so_once_and_frees_by_zeroing_headers()
    {
        string dir = Path.Combine(ShmFactAttribute.Directory, "kvt-freed-" + Guid.NewGuid().ToString("N"));
        try
        {
            var logger = new CapturingLogger();
            var options = new FlashDeviceOptions { Logger = logger, RecoveryVerificationBudget = PatientFlash.Budget };
            using (var device = new FlashDevice(dir, 64, SlotBytes, options))
            {
                for (int slot = 0; slot < 3; slot++)
                {
                    device.Write(slot, Key(slot), BlockKey.Empty, Payload(slot));
                    device.Free(slot);
                    Assert.Equal(-1, device.Read(slot, Key(slot), new byte[SlotBytes]));
                }

                FlashDeviceStatistics stats = device.GetStatistics();
                Assert.Equal(0, stats.RangesZeroed);
                Assert.Equal(3, stats.HeadersZeroed);
                var told = Assert.Single(logger.Entries, e => e.EventName == "FlashZeroRangeUnsupported");
                Assert.Contains("errno 95", told.Message);
            }

            using var reopened = new FlashDevice(dir, 64, SlotBytes, PatientFlash.Options());
            Assert.Empty(reopened.Recover());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Seek(SafeFileHandle fd, long offset, int whence);
}
