using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Devices;

/// <summary>
/// Headers that survived over payloads that did not (lost writes): the block is not recovered, so a prefix match never
/// reports a block every read would reject (issue #23).
/// </summary>
public sealed class FlashLostWriteTests : IDisposable
{
    private const int Slots = 8;
    private const int SlotBytes = 5000;
    private const int Length = 3000;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    private static FlashGeometry Geometry => new(Slots, SlotBytes);

    public void Dispose() => _temp.Dispose();

    private static BlockKey DeviceKey(int i) => new((ulong)i + 1, 0x1057);

    private static byte[] Bytes(int seed)
    {
        var bytes = new byte[Length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private void WriteBlocks(int count)
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        for (int i = 0; i < count; i++)
        {
            device.Write(i, DeviceKey(i), i == 0 ? BlockKey.Empty : DeviceKey(i - 1), Bytes(i));
        }
    }

    [Fact]
    public void Blocks_whose_payloads_were_lost_are_not_recovered_counted_and_freed()
    {
        WriteBlocks(6);
        FlashSlotSurgery.ZeroPayload(FilePath, Geometry, 1, Length);
        FlashSlotSurgery.ZeroPayload(FilePath, Geometry, 4, 512); // a partly lost write

        var logger = new CapturingLogger();
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { Logger = logger, RecoveryVerificationBudget = PatientFlash.Budget }))
        {
            IReadOnlyList<RecoveredBlock> blocks = device.Recover();
            Assert.Equal([0, 2, 3, 5], blocks.Select(b => b.Slot));
            FlashDeviceStatistics stats = device.GetStatistics();
            Assert.Equal(2, stats.LostWrites);
            Assert.Equal(4, stats.VerifiedAtOpen);
            Assert.Equal(0, stats.Unverified);
            Assert.Equal(-1, device.Read(1, DeviceKey(1), new byte[SlotBytes]));
            Assert.Equal(0, device.PayloadLength(4));
            var buffer = new byte[SlotBytes];
            Assert.Equal(Length, device.Read(5, DeviceKey(5), buffer));
            Assert.Equal(Bytes(5), buffer[..Length]);
        }

        Assert.Contains(logger.Entries, e => e.EventName == "FlashBlocksNotRecovered" && e.Message.Contains("2 blocks with lost payloads", StringComparison.Ordinal));
        // Freed on flash: the headers no longer verify, so the next open does not even look at them.
        Assert.False(FlashSlotHeader.TryRead(FlashSlotSurgery.ReadHeader(FilePath, Geometry, 1), 1, SlotBytes, out _));
        using var again = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Equal(4, again.Recover().Count);
        Assert.Equal(0, again.GetStatistics().LostWrites);
    }

    [Fact]
    public void A_zero_budget_recovers_nothing_unverified_and_leaves_the_blocks_for_a_later_open()
    {
        WriteBlocks(5);
        using (var hurried = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { RecoveryVerificationBudget = TimeSpan.Zero }))
        {
            Assert.Empty(hurried.Recover());
            Assert.Equal(5, hurried.GetStatistics().Unverified);
            Assert.Equal(-1, hurried.Read(2, DeviceKey(2), new byte[SlotBytes]));
        }

        using var patient = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { RecoveryVerificationBudget = Timeout.InfiniteTimeSpan });
        Assert.Equal(5, patient.Recover().Count);
        Assert.Equal(5, patient.GetStatistics().VerifiedAtOpen);
    }

    [Fact]
    public void A_negative_budget_is_rejected_naming_it()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { RecoveryVerificationBudget = TimeSpan.FromSeconds(-2) }));
        Assert.Contains("-00:00:02", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_lost_writes_the_store_prefix_match_counts_only_blocks_that_read_back()
    {
        // Chain 0..5 lands on flash (no memory tier above it), then block 3's payload is lost under its header.
        int blockBytes;
        using (TieredKvStore store = CreateWithFlash(Dir, [], 8))
        {
            blockBytes = store.BlockBytes;
            for (int i = 0; i < 6; i++)
            {
                Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i)));
            }
        }

        var geometry = new FlashGeometry(8, blockBytes);
        int slot = Enumerable.Range(0, 8).Single(s =>
            FlashSlotHeader.TryRead(FlashSlotSurgery.ReadHeader(FilePath, geometry, s), s, blockBytes, out FlashSlotHeader h)
            && h.Key.Equals(Key(3)));
        FlashSlotSurgery.ZeroPayload(FilePath, geometry, slot, blockBytes);

        using TieredKvStore reopened = CreateWithFlash(Dir, [], 8);
        BlockKey[] chain = Enumerable.Range(0, 6).Select(Key).ToArray();
        Assert.Equal(3, reopened.MatchPrefix(chain).Blocks);
        var buffer = new byte[reopened.BlockBytes];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(reopened.TryGet(Key(i), buffer, out int written));
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.Equal(0, reopened.GetStatistics().Tiers[0].ChecksumFailures);
    }
}
