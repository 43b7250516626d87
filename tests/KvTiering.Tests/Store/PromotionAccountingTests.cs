using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>A metadata-only store (the harness) books the same bytes and modeled time as a store with payloads.</summary>
public sealed class PromotionAccountingTests
{
    private static TieredKvStore Build(bool metadataOnly)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MetadataOnly = metadataOnly };
        options.Tiers.Add(new TierOptions(Profile("hbm", TierKind.Hbm), 1));
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        return new TieredKvStore(options);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Promotion_on_a_repeated_put_and_on_a_get_books_one_lower_tier_read_each(bool metadataOnly)
    {
        using var store = Build(metadataOnly);
        byte[] Bytes(int i) => metadataOnly ? [] : Payload(i);
        store.Put(Key(1), BlockKey.Empty, Bytes(1));
        store.Put(Key(2), BlockKey.Empty, Bytes(2)); // demotes 1
        store.Put(Key(1), BlockKey.Empty, Bytes(1)); // promotes 1 (the harness's path), demotes 2
        Assert.True(store.TryGet(Key(2), new byte[128], out _, out int tier)); // a get from DRAM promotes 2
        Assert.Equal(1, tier);

        TierStatistics dram = store.GetStatistics().Tiers[1];
        Assert.Equal(2, dram.Promotions);
        Assert.Equal(2L * TinyLayout.BytesPerBlock, dram.BytesRead);
        Assert.Equal(2 * Profile("dram").ReadSeconds(TinyLayout.BytesPerBlock), dram.ModeledSeconds
            - (dram.BytesWritten / TinyLayout.BytesPerBlock * Profile("dram").WriteSeconds(TinyLayout.BytesPerBlock)), 9);
    }
}
