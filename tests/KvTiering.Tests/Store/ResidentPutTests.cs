using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A put of a block the store already holds below its top tier promotes it from the put's own bytes. Before, the
/// promotion read the lower copy under the store's lock: against an unreachable remote tier that read could wait out a
/// timeout, and failing it dropped the block the put had just handed over, while the put answered
/// <see cref="PutResult.AlreadyPresent"/> (remote26's soak finding).
/// </summary>
public sealed class ResidentPutTests
{
    /// <summary>One memory block over four outage-prone slots; blocks 0..2 of a chain put, so 0 and 1 are below.</summary>
    private static TieredKvStore Open(out OutageDevice device)
    {
        OutageDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout, Name = "resident-put" };
        options.Tiers.Add(new TierOptions(Profile("t0"), 1) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), 4)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (slots, bytes) => created = new OutageDevice(slots, bytes),
        });
        var store = new TieredKvStore(options);
        device = created!;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i)));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        return store;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_put_of_a_block_below_promotes_it_from_its_own_bytes_even_while_the_lower_device_is_unreachable(bool awaited)
    {
        using TieredKvStore store = Open(out OutageDevice device);
        device.Down = true;
        int readsBefore = device.Reads;

        PutResult result = awaited
            ? await store.PutAsync(Key(0), BlockKey.Empty, Payload(0))
            : store.Put(Key(0), BlockKey.Empty, Payload(0));

        Assert.Equal(PutResult.AlreadyPresent, result);
        Assert.Equal(readsBefore, device.Reads); // nothing read from below: the bytes were in hand
        Assert.Equal(0, store.TierOf(Key(0)));
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int servedFrom));
        Assert.Equal(0, servedFrom);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(0, store.GetStatistics().Tiers[1].UnreachableReads);
    }

    [Fact]
    public void A_put_whose_length_differs_from_the_block_below_reads_the_lower_copy_and_keeps_its_bytes()
    {
        using TieredKvStore store = Open(out OutageDevice device);
        int readsBefore = device.Reads;

        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(0), BlockKey.Empty, Payload(7, length: 64)));

        Assert.Equal(readsBefore + 1, device.Reads);
        Assert.Equal(0, store.TierOf(Key(0)));
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out _));
        Assert.Equal(Payload(0), buffer[..written]);
    }

    [Fact]
    public void A_put_of_a_block_in_the_top_tier_leaves_its_bytes_alone()
    {
        using TieredKvStore store = Open(out _);

        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(2), Key(1), Payload(9)));

        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(2), buffer, out int written, out int servedFrom));
        Assert.Equal(0, servedFrom);
        Assert.Equal(Payload(2), buffer[..written]);
    }
}
