using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Devices;

/// <summary>
/// The open's header scan skips the slots that lie in holes of the file (SEEK_DATA / SEEK_HOLE), so a large, mostly
/// empty file opens in the time its written slots take; and it never skips a slot that holds a record, whether the
/// file is sparse, fallocated, or on a file system that reports no holes. The temporary directory is on this
/// machine's ext4 disk, which reports holes (and fallocated, unwritten extents as holes).
/// </summary>
public sealed partial class FlashHoleScanTests : IDisposable
{
    private const int Slots = 4096;
    private const int SlotBytes = 16 * 1024; // stride 20 KiB: a full block's I/O ends where the next slot starts

    // Scattered, with neighbours (256, 257; 4094, 4095), both ends, and run boundaries (255 | 256, 511 | 512).
    private static readonly int[] Written = [0, 1, 7, 255, 256, 257, 511, 512, 1000, 2047, 3333, 4094, 4095];

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    private static FlashGeometry Geometry => new(Slots, SlotBytes);

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int slot) => new((ulong)slot + 1, 0x401E5);

    // Full blocks at even slots (header and payload fill the stride), short ones at odd slots (one page of data).
    private static byte[] Payload(int slot)
    {
        var bytes = new byte[slot % 2 == 0 ? SlotBytes : 1000];
        new Random(slot).NextBytes(bytes);
        return bytes;
    }

    private void WriteScattered()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        foreach (int slot in Written)
        {
            device.Write(slot, Key(slot), BlockKey.Empty, Payload(slot));
        }
    }

    private void AssertEveryRecordReadsBack(FlashDevice device)
    {
        Assert.Equal(Written, device.Recover().Select(b => b.Slot).Order());
        var buffer = new byte[SlotBytes];
        foreach (int slot in Written)
        {
            int length = device.Read(slot, Key(slot), buffer);
            Assert.Equal(Payload(slot), buffer[..length]);
        }
    }

    [Fact]
    public void A_sparse_file_with_records_at_scattered_slots_reads_only_their_headers_and_finds_every_one()
    {
        WriteScattered();
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        AssertEveryRecordReadsBack(device);
        Assert.Equal(Written.Length, device.GetStatistics().HeadersRead); // main read all 4,096
    }

    [Fact]
    public void A_file_system_that_reports_no_holes_still_finds_every_record_reading_every_slot()
    {
        WriteScattered();
        using var device = new FlashDevice(Dir, Slots, SlotBytes,
            new FlashDeviceOptions { IgnoreHoles = true, RecoveryVerificationBudget = PatientFlash.Budget });
        AssertEveryRecordReadsBack(device);
        Assert.Equal(Slots, device.GetStatistics().HeadersRead);
    }

    [Fact]
    public void An_fallocated_file_still_finds_every_record_and_skips_the_allocated_but_unwritten_slots()
    {
        WriteScattered();
        using (SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite))
        {
            // What docs/reliability.md tells an operator to do to reserve the tier's space: every slot now has disk
            // blocks, and those never written are unwritten extents, which ext4 reports as holes.
            Assert.Equal(0, Fallocate(handle, 0, 0, Geometry.FileLength));
        }

        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        AssertEveryRecordReadsBack(device);
        Assert.Equal(Written.Length, device.GetStatistics().HeadersRead);
    }

    [Fact]
    public void Data_in_a_payload_under_a_hole_for_a_header_is_no_record_and_its_header_is_not_read()
    {
        WriteScattered();
        // Bytes in slot 2000's payload, past its header page: its header is still a hole (zeros), so it holds nothing.
        using (SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(handle, new byte[FlashGeometry.PageBytes].AsSpan(), Geometry.SlotOffset(2000) + (2 * FlashGeometry.PageBytes));
        }

        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        AssertEveryRecordReadsBack(device);
        Assert.Equal(Written.Length, device.GetStatistics().HeadersRead);
    }

    [Fact]
    public void A_slot_freed_by_zeroing_its_header_is_data_not_a_hole_so_it_is_read_and_holds_nothing()
    {
        WriteScattered();
        var options = new FlashDeviceOptions { RefuseZeroRange = true, RecoveryVerificationBudget = PatientFlash.Budget };
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, options))
        {
            Assert.Equal(Written.Length, device.Recover().Count);
            device.Free(1000); // where ranges cannot be zeroed: its header overwritten with zeros, still data
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Written.Where(s => s != 1000), reopened.Recover().Select(b => b.Slot).Order());
        Assert.Equal(Written.Length, reopened.GetStatistics().HeadersRead);
    }

    [Fact]
    public void A_rescan_after_writes_on_the_open_device_finds_the_new_records_in_former_holes()
    {
        WriteScattered();
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(Written.Length, device.Recover().Count);
        device.Write(3000, Key(3000), BlockKey.Empty, Payload(3000));
        device.Write(3001, Key(3001), BlockKey.Empty, Payload(3001));
        Assert.Equal(Written.Append(3000).Append(3001).Order(), device.Recover().Select(b => b.Slot).Order());
        Assert.Equal(Written.Length + 2, device.GetStatistics().HeadersRead);
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);
}
