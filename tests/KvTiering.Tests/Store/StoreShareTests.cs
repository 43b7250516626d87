using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.ShareAsync"/>: blocks the store holds are copied to its shared tier without moving, so a
/// second store on the same shared tier fetches them although the first never demoted them (write30). Before, a block
/// reached the shared tier only when demoted into it, and a server that died took its newest blocks with it.
/// </summary>
public sealed class StoreShareTests
{
    private readonly Dictionary<BlockKey, (BlockKey Parent, byte[] Bytes)> _shared = [];

    private TieredKvStore Create(out SharedFakeDevice device, int dram = 4, int flash = 0)
    {
        SharedFakeDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), dram));
        if (flash > 0)
        {
            options.Tiers.Add(new TierOptions(Profile("flash2", TierKind.Dram), flash));
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
    public async Task Held_blocks_are_copied_and_stay_where_they_are()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device, dram: 2, flash: 4);
        for (int i = 1; i <= 4; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 1 ? BlockKey.Empty : Key(i - 1), Payload(i)));
        }

        int[] before = [store.TierOf(Key(1)), store.TierOf(Key(2)), store.TierOf(Key(3)), store.TierOf(Key(4))];
        Assert.Contains(1, before); // some in the second tier, some in the first
        Assert.Contains(0, before);

        ShareResult result = await store.ShareAsync(new[] { Key(1), Key(2), Key(3), Key(4) });

        Assert.Equal(new ShareResult(4, 0, 0, 0, 0), result);
        Assert.True(result.Complete);
        Assert.Equal([Key(1), Key(2), Key(3), Key(4)], device.SharedCopies);
        int[] after = [store.TierOf(Key(1)), store.TierOf(Key(2)), store.TierOf(Key(3)), store.TierOf(Key(4))];
        Assert.Equal(before, after);
        Assert.Equal(Payload(3), _shared[Key(3)].Bytes);
        Assert.Equal(Key(2), _shared[Key(3)].Parent);

        // A second store on the same shared tier, which never held them, reads them.
        using TieredKvStore other = Create(out _);
        var destination = new byte[store.BlockBytes];
        Assert.True(other.TryGet(Key(4), destination, out int written));
        Assert.Equal(Payload(4), destination[..written]);
    }

    [Fact]
    public async Task Keys_not_held_are_not_shared_and_blocks_in_the_shared_tier_are_not_sent_again()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device, dram: 1);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        Assert.Equal(PutResult.Stored, store.Put(Key(2), Key(1), Payload(2))); // demotes Key(1) into the shared tier
        Assert.Equal(1, store.TierOf(Key(1)));

        ShareResult result = await store.ShareAsync(new[] { Key(1), Key(2), Key(9), BlockKey.Empty });

        Assert.Equal(new ShareResult(1, 1, 2, 0, 0), result);
        Assert.Equal(2, result.OnSharedTier);
        Assert.False(result.Complete);
        Assert.Equal([Key(2)], device.SharedCopies);
        Assert.False(_shared.ContainsKey(Key(9)));
    }

    [Fact]
    public async Task A_shared_tier_that_cannot_take_a_write_gets_nothing_and_the_call_does_not_throw()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        Assert.Equal(PutResult.Stored, store.Put(Key(2), Key(1), Payload(2)));
        device.Writable = false;

        ShareResult result = await store.ShareAsync(new[] { Key(1), Key(2) });

        Assert.Equal(new ShareResult(0, 0, 0, 2, 0), result);
        Assert.Empty(device.SharedCopies);
        Assert.Equal(0, store.TierOf(Key(1)));

        device.Writable = true; // back: the same call now copies both
        Assert.Equal(new ShareResult(2, 0, 0, 0, 0), await store.ShareAsync(new[] { Key(1), Key(2) }));
    }

    [Fact]
    public void A_store_without_a_shared_tier_says_so()
    {
        using TieredKvStore store = StoreTestKit.Create(4);
        Assert.False(store.CanShare);
        NotSupportedException thrown = Assert.Throws<NotSupportedException>(() => { _ = store.ShareAsync(new[] { Key(1) }); });
        Assert.Contains("no shared tier", thrown.Message, StringComparison.Ordinal);
    }
}
