using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Tiers;

public sealed class FlashDeviceFailureTests : IDisposable
{
    private const int Slots = 8;
    private const int SlotBytes = 4096;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int i) => new((ulong)i + 1, 0xF00D);

    private static byte[] Payload(int seed, int length = SlotBytes)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void The_file_keeps_its_fixed_size_through_many_writes()
    {
        long expected = 4096 + (Slots * 8192L); // superblock, then slots of header and payload rounded up to pages
        using var device = new FlashDevice(Dir, Slots, SlotBytes, compression: true);
        Assert.Equal(expected, device.FileLength);
        Assert.Equal(expected, new FileInfo(FilePath).Length);
        for (int i = 0; i < 20 * Slots; i++)
        {
            device.Write(i % Slots, Key(i), BlockKey.Empty, Payload(i, 1 + (i * 37 % SlotBytes)));
            if (i % 3 == 0)
            {
                device.Free(i % Slots);
            }
        }

        Assert.Equal(expected, new FileInfo(FilePath).Length);
    }

    [Fact]
    public void A_failed_block_write_throws_IOException_and_leaves_the_slot_invalid()
    {
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(0, Key(0), BlockKey.Empty, Payload(1));
            device.Write(1, Key(1), BlockKey.Empty, Payload(2));
            long slot1 = device.HeaderOffset(1);
            int calls = 0;

            // The block's write fails; zeroing its first page afterwards succeeds.
            device.FailWrite = (offset, _) => offset == slot1 && calls++ == 0;

            Assert.Throws<IOException>(() => device.Write(1, Key(9), BlockKey.Empty, Payload(3)));
            Assert.Equal(0, device.PayloadLength(1));
            Assert.Equal(-1, device.Read(1, Key(1), new byte[SlotBytes]));
            Assert.Equal(-1, device.Read(1, Key(9), new byte[SlotBytes]));
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        RecoveredBlock block = Assert.Single(reopened.Recover());
        Assert.Equal(Key(0), block.Key);
        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, reopened.Read(0, Key(0), buffer));
        Assert.Equal(Payload(1), buffer);
    }

    [Fact]
    public void A_failed_write_whose_invalidation_fails_too_leaves_only_the_old_blocks_own_bytes()
    {
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(2, Key(2), BlockKey.Empty, Payload(4));
            long slot2 = device.HeaderOffset(2);
            device.FailWrite = (offset, _) => offset == slot2;
            Assert.Throws<IOException>(() => device.Write(2, Key(5), BlockKey.Empty, Payload(5)));
            Assert.Equal(-1, device.Read(2, Key(2), new byte[SlotBytes]));
            Assert.Equal(-1, device.Read(2, Key(5), new byte[SlotBytes]));
        }

        // Nothing reached the disk, so a restart may find the old block: with its own verified bytes, never the new.
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        RecoveredBlock block = Assert.Single(reopened.Recover());
        Assert.Equal(Key(2), block.Key);
        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, reopened.Read(2, Key(2), buffer));
        Assert.Equal(Payload(4), buffer);
    }

    [Fact]
    public void A_torn_write_new_header_over_old_payload_is_not_recovered()
    {
        var firstPage = new byte[4096];
        long slot2;
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(2, Key(5), BlockKey.Empty, Payload(5));
            slot2 = device.HeaderOffset(2);
        }

        using (SafeFileHandle peek = File.OpenHandle(FilePath, FileMode.Open))
        {
            Assert.Equal(firstPage.Length, RandomAccess.Read(peek, firstPage, slot2));
        }

        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(2, Key(2), BlockKey.Empty, Payload(4));
        }

        // A crash mid-I/O that landed only the first page of Key(5)'s write over Key(2)'s block.
        using (SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(handle, firstPage, slot2);
        }

        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Empty(reopened.Recover()); // the header verifies, the payload under it is not its own
        Assert.Equal(1, reopened.GetStatistics().LostWrites);
        var buffer = new byte[SlotBytes];
        Assert.Equal(-1, reopened.Read(2, Key(5), buffer));
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public void When_every_write_fails_the_slot_still_reads_as_a_miss_and_later_writes_succeed()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        device.Write(3, Key(3), BlockKey.Empty, Payload(6));
        bool full = true;
        device.FailWrite = (_, _) => full;
        Assert.Throws<IOException>(() => device.Write(3, Key(4), BlockKey.Empty, Payload(7)));
        Assert.Equal(-1, device.Read(3, Key(3), new byte[SlotBytes]));
        device.Free(3); // swallows the failure: the store cannot act on it

        full = false;
        device.Write(3, Key(4), BlockKey.Empty, Payload(7));
        var buffer = new byte[SlotBytes];
        Assert.Equal(SlotBytes, device.Read(3, Key(4), buffer));
        Assert.Equal(Payload(7), buffer);
        Assert.Equal(Key(4), Assert.Single(device.Recover()).Key);
    }

    [Fact]
    public void A_missing_directory_is_created_when_its_parent_exists()
    {
        string nested = Path.Combine(Dir, "tier");
        Directory.CreateDirectory(Dir);
        using var device = new FlashDevice(nested, Slots, SlotBytes);
        Assert.True(File.Exists(Path.Combine(nested, FlashDevice.FileName)));
        Assert.False(File.Exists(Path.Combine(nested, FlashDevice.FileName + ".tmp")));
    }

    [Fact]
    public void A_directory_whose_parent_is_missing_throws_naming_it()
    {
        string deep = Path.Combine(_temp.Root, "missing", "tier");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => new FlashDevice(deep, Slots, SlotBytes));
        Assert.Contains(deep, ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_temp.Root, "missing")));
    }

    [Fact]
    public void A_directory_under_a_regular_file_throws_a_clear_IOException()
    {
        string file = _temp.Sub("not-a-directory");
        File.WriteAllText(file, "x");
        string under = Path.Combine(file, "tier");
        var ex = Assert.ThrowsAny<IOException>(() => new FlashDevice(under, Slots, SlotBytes));
        Assert.Contains(under, ex.Message, StringComparison.Ordinal);

        var self = Assert.ThrowsAny<IOException>(() => new FlashDevice(file, Slots, SlotBytes));
        Assert.Contains(file, self.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_device_on_an_open_directory_is_refused()
    {
        using var first = new FlashDevice(Dir, Slots, SlotBytes);
        var ex = Assert.ThrowsAny<IOException>(() => new FlashDevice(Dir, Slots, SlotBytes));
        Assert.Contains(FlashDevice.FileName, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_another_descriptor_lets_go_of_within_moments_is_waited_for()
    {
        // What a child process forked elsewhere in this process does between fork and exec: it holds a copy of the
        // device's descriptor, so the file's lock outlives the device's Dispose for a moment.
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()))
        {
            device.Write(0, Key(0), BlockKey.Empty, Payload(1));
        }

        SafeFileHandle other = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        FlashDevice? reopened = null;
        Exception? failure = null;
        // A thread of its own and a synchronous test: a starved thread pool could hold a Task.Delay continuation (the
        // release) past the device's 2 s wait.
        var reopening = new Thread(() =>
        {
            try
            {
                reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        reopening.Start();
        // Hold the lock until the reopening device has the file open (it asks for the lock right after), then 100 ms
        // more: it meets the lock held however late its thread ran, and a device that did not wait would fail now.
        Assert.True(SpinWait.SpinUntil(() => OpenDescriptors() >= 2 || !reopening.IsAlive, TimeSpan.FromSeconds(60)), "the device never opened the file");
        Thread.Sleep(100);
        other.Dispose();

        Assert.True(reopening.Join(TimeSpan.FromSeconds(60)));
        Assert.Null(failure);
        using FlashDevice opened = reopened!;
        Assert.Equal(Key(0), Assert.Single(opened.Recover()).Key);
    }

    /// <summary>This process's descriptors open on the flash file (read from /proc/self/fd).</summary>
    private int OpenDescriptors()
    {
        string unique = Path.GetFileName(_temp.Root);
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.Contains(unique, StringComparison.Ordinal)
                    && target.EndsWith("/" + FlashDevice.FileName, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }

        return count;
    }

    [Fact]
    public void A_disposed_device_throws_ObjectDisposedException()
    {
        var device = new FlashDevice(Dir, Slots, SlotBytes);
        device.Write(0, Key(0), BlockKey.Empty, Payload(8));
        device.Dispose();
        device.Dispose();
        var buffer = new byte[SlotBytes];
        Assert.Throws<ObjectDisposedException>(() => device.Read(0, Key(0), buffer));
        Assert.Throws<ObjectDisposedException>(() => device.Write(0, Key(0), BlockKey.Empty, buffer));
        Assert.Throws<ObjectDisposedException>(() => device.Free(0));
        Assert.Throws<ObjectDisposedException>(() => device.PayloadLength(0));
        Assert.Throws<ObjectDisposedException>(() => device.Recover());
    }
}
