using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A metadata-only store (the harness) books a promotion's lower-tier read as a store with payloads does, bytes and
/// modeled time; the one difference is a repeated put, whose bytes a payload store promotes from (no read).
/// </summary>
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
    public void Promotion_on_a_get_books_one_lower_tier_read_and_on_a_repeated_put_one_only_without_payloads(bool metadataOnly)
    {
        using var store = Build(metadataOnly);
        byte[] Bytes(int i) => metadataOnly ? [] : Payload(i);
        store.Put(Key(1), BlockKey.Empty, Bytes(1));
        store.Put(Key(2), BlockKey.Empty, Bytes(2)); // demotes 1
        store.Put(Key(1), BlockKey.Empty, Bytes(1)); // promotes 1 (the harness's path: its read booked), demotes 2
        Assert.True(store.TryGet(Key(2), new byte[128], out _, out int tier)); // a get from DRAM promotes 2
        Assert.Equal(1, tier);

        // With payloads the put hands its own bytes to the promotion: only the get reads DRAM.
        int reads = metadataOnly ? 2 : 1;
        TierStatistics dram = store.GetStatistics().Tiers[1];
        Assert.Equal(2, dram.Promotions);
        Assert.Equal((long)reads * TinyLayout.BytesPerBlock, dram.BytesRead);
        Assert.Equal(reads * Profile("dram").ReadSeconds(TinyLayout.BytesPerBlock), dram.ModeledSeconds
            - (dram.BytesWritten / TinyLayout.BytesPerBlock * Profile("dram").WriteSeconds(TinyLayout.BytesPerBlock)), 9);
    }
}
