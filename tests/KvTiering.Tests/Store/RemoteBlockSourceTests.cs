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
}
