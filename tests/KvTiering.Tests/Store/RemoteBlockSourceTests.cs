using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>A store whose lowest tier is shared with other stores (<see cref="IRemoteBlockSource"/>).</summary>
public sealed class RemoteBlockSourceTests
{
    private readonly Dictionary<BlockKey, (BlockKey Parent, byte[] Bytes)> _shared = [];

    private TieredKvStore Create(out SharedFakeDevice device, PromotionMode promotion = PromotionMode.ToTop,
        bool metadataOnly = false, params int[] memory)
    {
        SharedFakeDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout, Promotion = promotion, MetadataOnly = metadataOnly };
        foreach (int capacity in memory)
        {
            options.Tiers.Add(new TierOptions(Profile($"m{options.Tiers.Count}"), capacity));
        }

        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new SharedFakeDevice(_shared, slots, bytes),
        });
        var store = new TieredKvStore(options);
        device = created!;
        return store;
    }

    [Fact]
    public void LocalMissIsServedFromTheSharedTierAndAdopted()
    {
        _shared[Key(1)] = (Key(0), Payload(1));
        using TieredKvStore store = Create(out SharedFakeDevice device, memory: [2, 2]);

        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(1), buffer, out int written, out int tier));
        Assert.Equal(Payload(1), buffer[..written]);
        Assert.Equal(2, tier);
        Assert.Equal(0, store.TierOf(Key(1)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Tiers[2].Hits);
        Assert.Equal(128, stats.Tiers[2].BytesRead);
        Assert.Equal(1, device.Fetches);

        Assert.False(store.TryGet(Key(2), buffer, out _));
        Assert.Equal(2, device.Fetches);
        Assert.Equal(1, store.GetStatistics().Misses);
    }

    [Theory]
    [InlineData(PromotionMode.ToTop, 0)]
    [InlineData(PromotionMode.OneLevel, 1)]
    [InlineData(PromotionMode.Never, -1)]
    public void AdoptionFollowsThePromotionMode(PromotionMode promotion, int expectedTier)
    {
        _shared[Key(1)] = (Key(0), Payload(1));
        using TieredKvStore store = Create(out _, promotion, memory: [2, 2]);

        Assert.True(store.TryGet(Key(1), new byte[128], out _));
        Assert.Equal(expectedTier, store.TierOf(Key(1)));
    }

    [Fact]
    public void PrefixMatchAsksTheSharedTierOnceAndCountsItsBlocks()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device, memory: [8]);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        _shared[Key(1)] = (Key(0), Payload(1));
        _shared[Key(2)] = (Key(1), Payload(2));
        store.Put(Key(3), Key(2), Payload(3));
        BlockKey[] keys = [Key(0), Key(1), Key(2), Key(3), Key(4), Key(5)];

        var tiers = new int[keys.Length];
        PrefixMatch match = store.MatchPrefix(keys, tiers);
        Assert.Equal(4, match.Blocks);
        Assert.Equal(2, match.BlocksInTier(0));
        Assert.Equal(2, match.BlocksInTier(1));
        Assert.Equal([0, 1, 1, 0], tiers[..4]);
        Assert.Equal(1, device.PrefixQueries);
        Assert.Equal(0, store.Count - 2); // matching moves nothing
    }

    [Fact]
    public void FullyLocalPrefixDoesNotAskTheSharedTier()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device, memory: [8]);
        store.Put(Key(0), BlockKey.Empty, Payload(0));

        Assert.Equal(1, store.MatchPrefix([Key(0)]).Blocks);
        Assert.Equal(0, device.PrefixQueries);
    }

    [Theory]
    [InlineData(null, BlockMiss.NotResident)]                    // absent there too
    [InlineData(ReadFailure.Unreachable, BlockMiss.Unreachable)] // down, timed out or backing off
    [InlineData(ReadFailure.Corrupt, BlockMiss.Corrupt)]         // failed its checksum or seal: damaged or forged
    [InlineData(ReadFailure.Unknown, BlockMiss.Corrupt)]         // a source that did not say, as a device that does not
    public async Task ASharedTierFetchThatMissesSaysWhy(ReadFailure? fault, BlockMiss expected)
    {
        // Before, every fetch that missed was NotResident: a caller could not tell "nobody has it" from "the shared
        // tier could not be asked", and the agent server's restore dropped snapshots whose chunks only Garnet held.
        _shared[Key(1)] = (Key(0), Payload(1));
        using TieredKvStore store = Create(out SharedFakeDevice device, memory: [2]);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        device.FailingWith = fault;
        BlockKey key = fault is null ? Key(2) : Key(1);
        var buffer = new byte[128];

        Assert.False(store.TryGet(key, buffer, out _, out int tier, out BlockMiss miss));
        Assert.Equal((expected, -1), (miss, tier));
        BlockRead read = await store.TryGetAsync(key, buffer);
        Assert.Equal(BlockRead.Missed(expected), read);
        var reads = new BlockRead[2];
        Assert.Equal(1, await store.ReadBatchAsync(new[] { key, Key(0) }, new byte[256], reads)); // each block its own cause
        Assert.Equal([expected, BlockMiss.None], reads.Select(r => r.Miss));
        Assert.Equal(3, device.Fetches);

        TierStatistics shared = store.GetStatistics().Tiers[1];
        // A fetch the tier could not be asked is counted apart from reads of resident blocks (before session 32, both in
        // UnreachableReads: an outage's every new block then read as a resident block the store could not reach).
        Assert.Equal((expected == BlockMiss.Corrupt ? 3 : 0, expected == BlockMiss.Unreachable ? 3 : 0, 0L, 0L),
            (shared.ChecksumFailures, shared.UnreachableFetches, shared.UnreachableReads, shared.LostBlocks));
        Assert.Equal(3, store.GetStatistics().Misses);

        device.FailingWith = null; // the tier answers again: the block was kept there all along
        Assert.True(store.TryGet(Key(1), buffer, out int written, out _, out miss));
        Assert.Equal(BlockMiss.None, miss);
        Assert.Equal(Payload(1), buffer[..written]);
    }

    [Theory]
    [InlineData(ReadFailure.Unreachable)]
    [InlineData(ReadFailure.Lost)]
    [InlineData(ReadFailure.Corrupt)]
    public void ASharedTierMissWithItsCauseAllocatesNothing(ReadFailure fault)
    {
        using TieredKvStore store = Create(out SharedFakeDevice device, memory: [2]);
        device.FailingWith = fault;
        var buffer = new byte[128];
        for (int warm = 0; warm < 2; warm++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                store.TryGet(Key(i), buffer, out _, out _, out BlockMiss miss);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (warm == 1)
            {
                Assert.Equal(0, allocated);
            }
        }
    }
}
