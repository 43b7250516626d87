using KvTiering.Blocks;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class StoreSemanticsTests
{
    [Fact]
    public void MatchPrefix_counts_leading_resident_blocks_per_tier_and_moves_nothing()
    {
        using var store = Create(2, 4);
        BlockKey[] chain = [Key(0), Key(1), Key(2), Key(3)];
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], i == 0 ? BlockKey.Empty : chain[i - 1], Payload(i));
        }

        Span<int> tiers = stackalloc int[4];
        PrefixMatch match = store.MatchPrefix([.. chain, Key(99), Key(2)], tiers);
        Assert.Equal(4, match.Blocks);
        Assert.Equal(2, match.BlocksInTier(0));
        Assert.Equal(2, match.BlocksInTier(1));
        Assert.Equal([1, 1, 0, 0], tiers.ToArray());
        Assert.Equal(1, store.TierOf(Key(0))); // not promoted by a match
        Assert.Equal(0, store.MatchPrefix([Key(99), Key(0)]).Blocks);
    }

    [Fact]
    public void Put_of_a_resident_block_is_an_access_not_a_rewrite()
    {
        using var store = Create(2);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        store.Put(Key(2), BlockKey.Empty, Payload(2)); // LRU victim is now Key(1)
        Assert.True(store.Contains(Key(0)));
        Assert.False(store.Contains(Key(1)));
    }

    [Fact]
    public void Remove_frees_the_slot()
    {
        using var store = Create(2);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        Assert.True(store.Remove(Key(0)));
        Assert.False(store.Remove(Key(0)));
        Assert.False(store.Contains(Key(0)));
        Assert.Equal(0, store.Count);
        Assert.False(store.TryGet(Key(0), new byte[128], out _));
    }

    [Fact]
    public void Pinned_blocks_are_never_evicted_or_moved()
    {
        using var store = Create(4, 4);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        Assert.True(store.Pin(Key(0)));
        for (int i = 1; i < 20; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.Equal(0, store.TierOf(Key(0)));
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int n));
        Assert.Equal(Payload(0), buffer[..n]);
        Assert.True(store.Unpin(Key(0)));
        Assert.False(store.Unpin(Key(0)));
        for (int i = 20; i < 30; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.False(store.Contains(Key(0)));
    }

    [Fact]
    public void Pins_may_not_exceed_the_configured_share_of_a_tier()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MaxPinnedFraction = 0.5 };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.True(store.Pin(Key(0)));
        Assert.True(store.Pin(Key(1)));
        Assert.False(store.Pin(Key(2)));
        Assert.True(store.Pin(Key(0))); // re-pinning a pinned block costs no budget
        Assert.False(store.Pin(Key(42)));

        // Eviction still makes progress past the pinned half.
        for (int i = 10; i < 20; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        Assert.True(store.Contains(Key(0)) && store.Contains(Key(1)));
    }

    [Fact]
    public void Statistics_count_hits_misses_bytes_and_modeled_costs()
    {
        using var store = Create(1, 2);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1)); // demotes Key(0)
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out _)); // lower-tier hit, promoted
        Assert.False(store.TryGet(Key(7), buffer, out _));
        StoreStatistics s = store.GetStatistics();
        Assert.Equal(2, s.Lookups);
        Assert.Equal(1, s.Hits);
        Assert.Equal(1, s.Misses);
        Assert.Equal(1, s.Tiers[1].Promotions);
        Assert.Equal(2, s.Tiers[0].Demotions);
        Assert.Equal(1, s.Tiers[1].Hits);
        Assert.Equal(128 * 3, s.Tiers[0].BytesWritten);
        Assert.True(s.Tiers[1].ModeledSeconds > 0);
        Assert.True(s.Tiers[0].ModeledJoules > 0);
        Assert.Equal(2, s.ResidentBlocks);
    }

    [Fact]
    public void Memory_tier_hot_paths_allocate_nothing()
    {
        using var store = Create(64, 64);
        var buffer = new byte[128];
        byte[] payload = Payload(1);
        var keys = new BlockKey[16];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(i);
            store.Put(keys[i], i == 0 ? BlockKey.Empty : keys[i - 1], payload);
        }

        for (int warm = 0; warm < 2; warm++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int round = 0; round < 100; round++)
            {
                for (int i = 0; i < keys.Length; i++)
                {
                    store.TryGet(keys[i], buffer, out _);
                    store.Put(Key(1000 + (round * 16) + i), keys[i], payload); // evicts and demotes once full
                }

                store.MatchPrefix(keys);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (warm == 1)
            {
                Assert.Equal(0, allocated);
            }
        }
    }
}
