using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A flash read that misses is told apart by its cause (<see cref="IReadFailureReporting"/>): a flipped byte is a
/// checksum failure (an integrity warning), a slot whose pages read back as zeros (a punched hole, a zeroed page) is a
/// block the device lost (counted apart, logged as information). Before, both were one checksum failure and one
/// warning that said "failed verification, or the device lost it or could not be reached".
/// </summary>
public sealed class ReadFailureCauseTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeLogger _logger = new();
    private FlashDevice? _device;

    public void Dispose() => _temp.Dispose();

    /// <summary>One memory block over four flash slots; blocks 0..2 of a chain put, so 0 and 1 are on flash.</summary>
    private TieredKvStore Open()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, Name = "causes" };
        options.Tiers.Add(new TierOptions(Profile("t0"), 1) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), 4)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (slots, bytes) => _device = new FlashDevice(_temp.Sub("flash"), slots, bytes, new FlashDeviceOptions { DirectIO = false }),
        });
        var store = new TieredKvStore(options);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i)));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        return store;
    }

    /// <summary>The flash slot that holds <paramref name="key"/>, found by its header on flash.</summary>
    private int SlotOf(BlockKey key)
    {
        var page = new byte[FlashSlotHeader.Size];
        return Enumerable.Range(0, _device!.SlotCount).Single(s =>
        {
            RandomAccess.Read(_device.Handle, page, _device.HeaderOffset(s));
            return FlashSlotHeader.TryRead(page, s, _device.SlotBytes, out FlashSlotHeader h) && h.Key.Equals(key);
        });
    }

    private static bool Read(TieredKvStore store, BlockKey key, bool awaited) => awaited
        ? store.TryGetAsync(key, new byte[store.BlockBytes]).AsTask().GetAwaiter().GetResult().Found
        : store.TryGet(key, new byte[store.BlockBytes], out _);

    private List<FakeLogRecord> Records(string name) => _logger.Collector.GetSnapshot().Where(r => r.Id.Name == name).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flipped_byte_on_flash_is_counted_as_corrupt_and_warned_about(bool awaited)
    {
        using TieredKvStore store = Open();
        int slot = SlotOf(Key(0));
        var one = new byte[1];
        RandomAccess.Read(_device!.Handle, one, _device.PayloadOffset(slot) + 40);
        one[0] ^= 0xFF;
        RandomAccess.Write(_device.Handle, one, _device.PayloadOffset(slot) + 40);

        Assert.False(Read(store, Key(0), awaited));
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(ReadFailure.Corrupt, _device.LastReadFailure(slot));
        TierStatistics flash = store.GetStatistics().Tiers[1];
        Assert.Equal((1, 0L, 0L), (flash.ChecksumFailures, flash.LostBlocks, flash.UnreachableReads));
        FakeLogRecord warning = Assert.Single(Records("ChecksumFailure"));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("its bytes are damaged or forged", warning.GetStructuredStateValue("Detail"));
        Assert.Empty(Records("BlockUnavailable"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_slot_that_reads_back_as_zeros_is_counted_as_lost_not_corrupt(bool awaited)
    {
        using TieredKvStore store = Open();
        int slot = SlotOf(Key(0));

        // What a released page reads as (the soak's punched hole, a zeroed page): header and payload all zeros.
        RandomAccess.Write(_device!.Handle, new byte[4096], _device.HeaderOffset(slot));

        Assert.False(Read(store, Key(0), awaited));
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(ReadFailure.Lost, _device.LastReadFailure(slot));
        TierStatistics flash = store.GetStatistics().Tiers[1];
        Assert.Equal((0L, 1L, 0L), (flash.ChecksumFailures, flash.LostBlocks, flash.UnreachableReads));
        Assert.Empty(Records("ChecksumFailure"));
        FakeLogRecord info = Assert.Single(Records("BlockUnavailable"));
        Assert.Equal(LogLevel.Information, info.Level);
        Assert.Equal(Key(0).ToString(), info.GetStructuredStateValue("Key"));

        // The other flash block is untouched and still reads back its own bytes.
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(1), buffer, out int written));
        Assert.Equal(Payload(1), buffer[..written]);
    }

    [Fact]
    public void A_torn_header_is_corrupt_not_lost()
    {
        using TieredKvStore store = Open();
        int slot = SlotOf(Key(0));
        var one = new byte[1];
        RandomAccess.Read(_device!.Handle, one, _device.HeaderOffset(slot) + 20);
        one[0] ^= 0x5A;
        RandomAccess.Write(_device.Handle, one, _device.HeaderOffset(slot) + 20);

        // The read checks the payload against what the device recorded, so a header byte alone does not fail it;
        // flip a payload byte too, so the read fails and its cause is looked for in a header that no longer verifies.
        RandomAccess.Read(_device.Handle, one, _device.PayloadOffset(slot));
        one[0] ^= 0x5A;
        RandomAccess.Write(_device.Handle, one, _device.PayloadOffset(slot));

        Assert.False(store.TryGet(Key(0), new byte[store.BlockBytes], out _));
        Assert.Equal(ReadFailure.Corrupt, _device.LastReadFailure(slot));
        Assert.Equal(1, store.GetStatistics().Tiers[1].ChecksumFailures);
    }
}
