using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A read that misses says why (<see cref="BlockMiss"/>): the cause the device gave for a resident block's failed
/// read, or that the store held no such block. Before, every read answered hit or miss only, and a caller (the
/// LLamaSharp snapshot restore) guessed corrupt from miss by reading the store's checksum-failure count around its
/// reads, which another caller's failure in between made wrong.
/// </summary>
public sealed class MissCauseTests
{
    private CauseDevice? _device;

    /// <summary>One memory block over four slow slots; blocks 0..2 of a chain put, so 0 and 1 are in the slow tier.</summary>
    private TieredKvStore Open(bool awaitedDevice)
    {
        // A hit stays where it is (no promotion): each test reads the block where it set it up.
        var options = new KvStoreOptions { Layout = TinyLayout, Promotion = PromotionMode.Never };
        options.Tiers.Add(new TierOptions(Profile("t0"), 1) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("slow", TierKind.Flash), 4)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (slots, bytes) => _device = awaitedDevice ? new AwaitedCauseDevice(slots, bytes) : new CauseDevice(slots, bytes),
        });
        var store = new TieredKvStore(options);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i)));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(0, store.TierOf(Key(2)));
        return store;
    }

    /// <summary>One read of <paramref name="key"/>: the synchronous overload with a cause, the awaited one, or a batch of one.</summary>
    private static async Task<BlockRead> ReadAsync(TieredKvStore store, BlockKey key, string how)
    {
        var buffer = new byte[store.BlockBytes];
        switch (how)
        {
            case "sync":
                bool found = store.TryGet(key, buffer, out int written, out int tier, out BlockMiss miss);
                return new BlockRead(found, written, tier) { Miss = miss };
            case "async":
                return await store.TryGetAsync(key, buffer);
            default:
                var results = new BlockRead[1];
                await store.ReadBatchAsync(new[] { key }, buffer, results);
                return results[0];
        }
    }

    public static TheoryData<ReadFailure, BlockMiss, string, bool> Causes()
    {
        var data = new TheoryData<ReadFailure, BlockMiss, string, bool>();
        (ReadFailure, BlockMiss)[] causes =
        [
            (ReadFailure.Corrupt, BlockMiss.Corrupt),
            (ReadFailure.Lost, BlockMiss.Lost),
            (ReadFailure.Unreachable, BlockMiss.Unreachable),
            (ReadFailure.Unknown, BlockMiss.Corrupt), // a device that does not say why: counted as a checksum failure
        ];
        foreach ((ReadFailure cause, BlockMiss miss) in causes)
        {
            foreach (string how in new[] { "sync", "async", "batch" })
            {
                data.Add(cause, miss, how, false);
                data.Add(cause, miss, how, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Causes))]
    public async Task A_failed_device_read_says_the_cause_the_device_gave(ReadFailure cause, BlockMiss expected, string how, bool awaitedDevice)
    {
        using TieredKvStore store = Open(awaitedDevice);
        _device!.Fail(Key(0), cause);

        BlockRead read = await ReadAsync(store, Key(0), how);

        Assert.Equal((false, 0, -1, expected), (read.Found, read.BytesWritten, read.Tier, read.Miss));
        Assert.Equal(expected == BlockMiss.Unreachable, store.Contains(Key(0))); // only an unreachable block stays
        TierStatistics slow = store.GetStatistics().Tiers[1];
        Assert.Equal(expected == BlockMiss.Corrupt ? 1 : 0, slow.ChecksumFailures); // the cause agrees with the counters
        Assert.Equal(expected == BlockMiss.Lost ? 1 : 0, slow.LostBlocks);

        // Read again: a dropped block is no longer the store's; an unreachable one is asked again.
        BlockRead again = await ReadAsync(store, Key(0), how);
        Assert.Equal(expected == BlockMiss.Unreachable ? BlockMiss.Unreachable : BlockMiss.NotResident, again.Miss);
    }

    [Theory]
    [InlineData("sync", false)]
    [InlineData("async", false)]
    [InlineData("batch", false)]
    [InlineData("sync", true)]
    [InlineData("async", true)]
    [InlineData("batch", true)]
    public async Task A_block_never_put_evicted_or_removed_is_not_resident_and_a_hit_is_no_miss(string how, bool awaitedDevice)
    {
        using TieredKvStore store = Open(awaitedDevice);
        Assert.Equal(BlockMiss.NotResident, (await ReadAsync(store, Key(99), how)).Miss); // never put

        Assert.True(store.Remove(Key(1)));
        Assert.Equal(BlockMiss.NotResident, (await ReadAsync(store, Key(1), how)).Miss);

        // Five blocks fill both tiers; four more evict block 0 out of the last tier.
        for (int i = 3; i < 7; i++)
        {
            store.Put(Key(i), Key(i - 1), Payload(i));
        }

        Assert.False(store.Contains(Key(0)));
        BlockRead evicted = await ReadAsync(store, Key(0), how);
        Assert.Equal((false, BlockMiss.NotResident), (evicted.Found, evicted.Miss));

        BlockRead top = await ReadAsync(store, Key(6), how);
        Assert.Equal((true, 0, BlockMiss.None), (top.Found, top.Tier, top.Miss));
        Assert.Equal(1, store.TierOf(Key(3)));
        BlockRead lower = await ReadAsync(store, Key(3), how);
        Assert.Equal((true, 1, BlockMiss.None), (lower.Found, lower.Tier, lower.Miss));
    }

    [Fact]
    public void A_metadata_only_store_says_not_resident_and_hits()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MetadataOnly = true };
        options.Tiers.Add(new TierOptions(Profile("t0"), 2));
        using var store = new TieredKvStore(options);
        store.Put(Key(0), BlockKey.Empty, default);

        Assert.True(store.TryGet(Key(0), default, out _, out int tier, out BlockMiss hit));
        Assert.Equal((0, BlockMiss.None), (tier, hit));
        Assert.False(store.TryGet(Key(1), default, out _, out _, out BlockMiss miss));
        Assert.Equal(BlockMiss.NotResident, miss);
    }
}
