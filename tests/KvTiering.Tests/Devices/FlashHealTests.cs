using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Store;
using KvTiering.Tests.Diagnostics;
using KvTiering.Tests.Tiers;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Devices;

/// <summary>
/// A flash file that cannot be used is moved aside and the tier starts empty (issue #23: a cache is not a database),
/// unless <see cref="CorruptFileAction.Throw"/> is asked for. One test per way a file goes bad.
/// </summary>
public sealed class FlashHealTests : IDisposable
{
    private const int Slots = 8;
    private const int SlotBytes = 5000;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    public void Dispose() => _temp.Dispose();

    public enum Damage
    {
        BadMagic,
        ZeroedSuperblock,
        TruncatedBelowSuperblock,
        TruncatedToNothing,
        RandomBytes,
        OtherVersion,
        OtherSlotCount,
        OtherSlotBytes,
    }

    private static BlockKey Key(int i) => new((ulong)i + 1, 0x4EA1);

    private static byte[] Payload(int seed, int length = 1000)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private void WriteTwoBlocks(int slots = Slots, int slotBytes = SlotBytes)
    {
        using var device = new FlashDevice(Dir, slots, slotBytes);
        device.Write(0, Key(0), BlockKey.Empty, Payload(0));
        device.Write(1, Key(1), Key(0), Payload(1));
    }

    private void Inflict(Damage damage)
    {
        switch (damage)
        {
            case Damage.OtherSlotCount:
                WriteTwoBlocks(Slots * 2);
                return;
            case Damage.OtherSlotBytes:
                WriteTwoBlocks(Slots, SlotBytes + 4096);
                return;
        }

        WriteTwoBlocks();
        using SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite);
        var superblock = new byte[FlashGeometry.PageBytes];
        RandomAccess.Read(handle, superblock, 0);
        switch (damage)
        {
            case Damage.BadMagic:
                superblock[0] ^= 0xFF; // the checksum no longer matches either
                break;
            case Damage.ZeroedSuperblock:
                Array.Clear(superblock);
                break;
            case Damage.TruncatedBelowSuperblock:
                RandomAccess.SetLength(handle, 100);
                return;
            case Damage.TruncatedToNothing:
                RandomAccess.SetLength(handle, 0);
                return;
            case Damage.RandomBytes:
                new Random(23).NextBytes(superblock);
                break;
            case Damage.OtherVersion:
                BinaryPrimitives.WriteUInt32LittleEndian(superblock.AsSpan(8), 7);
                BinaryPrimitives.WriteUInt64LittleEndian(superblock.AsSpan(56), XxHash3.HashToUInt64(superblock.AsSpan(0, 56)));
                break;
        }

        RandomAccess.Write(handle, superblock, 0);
    }

    private string[] AsideFiles() => Directory.GetFiles(Dir, FlashDevice.FileName + ".corrupt-*");

    [Theory]
    [InlineData(Damage.BadMagic)]
    [InlineData(Damage.ZeroedSuperblock)]
    [InlineData(Damage.TruncatedBelowSuperblock)]
    [InlineData(Damage.TruncatedToNothing)]
    [InlineData(Damage.RandomBytes)]
    [InlineData(Damage.OtherVersion)]
    [InlineData(Damage.OtherSlotCount)]
    [InlineData(Damage.OtherSlotBytes)]
    public void An_unusable_file_is_moved_aside_and_the_tier_starts_empty_logged_and_counted(Damage damage)
    {
        Inflict(damage);
        long damagedLength = new FileInfo(FilePath).Length;
        var logger = new CapturingLogger();

        using (var device = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { Logger = logger }))
        {
            Assert.Empty(device.Recover());
            Assert.Equal(1, device.GetStatistics().CorruptFilesRecreated);
            Assert.Equal(-1, device.Read(0, Key(0), new byte[SlotBytes]));
            Assert.Equal(new FlashGeometry(Slots, SlotBytes).FileLength, new FileInfo(FilePath).Length);
            device.Write(2, Key(2), BlockKey.Empty, Payload(2));
        }

        string aside = Assert.Single(AsideFiles());
        Assert.Equal(damagedLength, new FileInfo(aside).Length); // the damaged file itself, kept for a look
        (LogLevel level, string? name, string message) = Assert.Single(logger.Entries, e => e.EventName == "FlashFileRecreated");
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains(FilePath, message, StringComparison.Ordinal);
        Assert.Contains(aside, message, StringComparison.Ordinal);

        // The new file is a good one: its block survives a reopen, and nothing more is moved aside.
        using var reopened = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        RecoveredBlock block = Assert.Single(reopened.Recover());
        Assert.Equal(Key(2), block.Key);
        Assert.Equal(0, reopened.GetStatistics().CorruptFilesRecreated);
        var buffer = new byte[SlotBytes];
        Assert.Equal(1000, reopened.Read(2, Key(2), buffer));
        Assert.Equal(Payload(2), buffer[..1000]);
        Assert.Single(AsideFiles());
    }

    [Theory]
    [InlineData(Damage.BadMagic)]
    [InlineData(Damage.TruncatedBelowSuperblock)]
    [InlineData(Damage.OtherSlotCount)]
    public void Throw_refuses_and_leaves_the_file_alone(Damage damage)
    {
        Inflict(damage);
        byte[] before = File.ReadAllBytes(FilePath);
        var ex = Assert.Throws<InvalidDataException>(() =>
            new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { CorruptFile = CorruptFileAction.Throw }));
        Assert.Contains(FilePath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(FilePath));
        Assert.Empty(AsideFiles());
    }

    [Fact]
    public void At_most_one_damaged_copy_is_kept()
    {
        for (int round = 0; round < 3; round++)
        {
            Inflict(Damage.ZeroedSuperblock);
            new FlashDevice(Dir, Slots, SlotBytes).Dispose();
            Assert.Single(AsideFiles());
        }
    }

    [Fact]
    public void An_unknown_action_is_rejected_naming_it()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { CorruptFile = (CorruptFileAction)9 }));
        Assert.Contains("9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_whose_flash_file_was_recreated_counts_it_on_the_meter()
    {
        Inflict(Damage.RandomBytes);
        using var meters = new TestMeterFactory();
        var options = new KvStoreOptions { Layout = Store.StoreTestKit.TinyLayout, MeterFactory = meters };
        options.Tiers.Add(new TierOptions(Store.StoreTestKit.Profile("flash", KvTiering.Tiers.TierKind.Flash), Slots) { Directory = Dir });
        using var faults = new MetricCollector<long>(meters, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.TierFaults);
        using var store = new TieredKvStore(options);
        Assert.Equal(0, store.Count);
        faults.RecordObservableInstruments();
        var seen = faults.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags[KvTieringDiagnostics.FaultTag]!, m => m.Value);
        Assert.Equal(1, seen["corrupt_file"]);
        Assert.Equal(0, seen["lost_write"]);
        Assert.Equal(0, seen["authentication"]);
        Assert.Single(AsideFiles());
    }
}
