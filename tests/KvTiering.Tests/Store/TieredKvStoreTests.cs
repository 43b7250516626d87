using KvTiering.Blocks;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class TieredKvStoreTests
{
    [Fact]
    public void Put_then_TryGet_returns_the_same_bytes()
    {
        using var store = Create(4);
        byte[] kv = Payload(1);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, kv));
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(1), buffer, out int written));
        Assert.Equal(kv, buffer[..written]);
    }

    [Fact]
    public void Victims_demote_tier_by_tier_and_drop_off_the_last()
    {
        using var store = Create(2, 2, 2);
        for (int i = 0; i < 7; i++)
        {
            store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i));
        }

        Assert.Equal(-1, store.TierOf(Key(0)));
        Assert.Equal(2, store.TierOf(Key(1)));
        Assert.Equal(2, store.TierOf(Key(2)));
        Assert.Equal(1, store.TierOf(Key(3)));
        Assert.Equal(0, store.TierOf(Key(6)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Tiers[2].Evictions);
        Assert.Equal(5, stats.Tiers[0].Demotions);
    }

    [Fact]
    public void Hit_in_lower_tier_promotes_to_top_with_intact_bytes()
    {
        using var store = Create(2, 4);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.True(store.TryGet(Key(2), buffer, out written));
        Assert.Equal(Payload(2), buffer[..written]);
    }
}
