using KvTiering.Blocks;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class StoreValidationTests
{
    [Fact]
    public void Empty_key_is_rejected_with_its_name()
    {
        using var store = Create(2);
        var ex = Assert.Throws<ArgumentException>(() => store.Put(BlockKey.Empty, BlockKey.Empty, Payload(1)));
        Assert.Equal("key", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public void Wrong_payload_length_is_rejected_naming_the_length(int length)
    {
        using var store = Create(2);
        var ex = Assert.Throws<ArgumentException>(() => store.Put(Key(1), BlockKey.Empty, new byte[length]));
        Assert.Equal("kv", ex.ParamName);
        Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Capacity_below_one_block_is_rejected(int capacity)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TierOptions(Profile("dram"), capacity));
        Assert.Equal("capacityBlocks", ex.ParamName);
        Assert.Contains(capacity.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_layout_dimension_is_rejected_with_its_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KvLayout("m", 2, -1, 8, 2, 4));
        Assert.Equal("kvHeads", ex.ParamName);
    }

    [Fact]
    public void Store_without_tiers_or_layout_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new TieredKvStore(new KvStoreOptions { Layout = TinyLayout }));
        var options = new KvStoreOptions();
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        Assert.Throws<ArgumentException>(() => new TieredKvStore(options));
    }

    [Fact]
    public void Destination_too_small_is_rejected()
    {
        using var store = Create(2);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        var ex = Assert.Throws<ArgumentException>(() => store.TryGet(Key(1), new byte[10], out _));
        Assert.Equal("destination", ex.ParamName);
    }

    [Theory]
    [InlineData("lru", false)]
    [InlineData("lru", true)]
    [InlineData("clock", false)]
    [InlineData("clock", true)] // the lock-free lookup with no disposed check of its own
    public void Every_operation_after_dispose_throws_ObjectDisposedException(string policy, bool metadataOnly)
    {
        var p = KvTiering.Eviction.EvictionPolicies.FromName(policy);
        var store = metadataOnly ? CreateMetadata(p, 2) : Create(p, 2);
        byte[] one = metadataOnly ? [] : Payload(1);
        store.Put(Key(1), BlockKey.Empty, one);
        store.Dispose();
        store.Dispose();
        var buffer = new byte[128];
        Assert.Throws<ObjectDisposedException>(() => store.Put(Key(2), BlockKey.Empty, metadataOnly ? [] : Payload(2)));
        Assert.Throws<ObjectDisposedException>(() => store.Put(Key(1), BlockKey.Empty, one)); // resident: lock-free try first
        Assert.Throws<ObjectDisposedException>(() => store.TryGet(Key(1), buffer, out _));
        Assert.Throws<ObjectDisposedException>(() => store.TryGet(Key(3), buffer, out _)); // a miss
        Assert.Throws<ObjectDisposedException>(() => store.MatchPrefix([Key(1)]));
        Assert.Throws<ObjectDisposedException>(() => store.Contains(Key(1)));
        Assert.Throws<ObjectDisposedException>(() => store.Remove(Key(1)));
        Assert.Throws<ObjectDisposedException>(() => store.Pin(Key(1)));
    }

    [Fact]
    public void Metadata_only_store_refuses_payload_bytes()
    {
        using var store = CreateMetadata(KvTiering.Eviction.EvictionPolicy.Lru, 4);
        Assert.Throws<ArgumentException>(() => store.Put(Key(1), BlockKey.Empty, new byte[4]));
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, default));
    }
}
