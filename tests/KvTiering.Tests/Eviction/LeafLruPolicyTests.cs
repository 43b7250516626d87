using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class LeafLruPolicyTests
{
    [Fact]
    public void The_least_recent_leaf_goes_not_the_least_recent_block()
    {
        using TieredKvStore leaf = CreateMetadata(EvictionPolicies.LeafLru, 4);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 4);
        foreach (TieredKvStore store in new[] { leaf, lru })
        {
            Request(store, 1, 0, 1, 2); // 0 → 1 → 2
            Request(store, 2, 3);
            Put(store, 0);             // touch the root: now 1 is the least recent block
            Request(store, 3, 4);
        }

        // LRU drops block 1 and strands 2 behind a hole; leaf-LRU drops 2, the chain's leaf.
        Assert.Equal([true, false, true, true, true], Resident(lru, 5));
        Assert.Equal([true, true, false, true, true], Resident(leaf, 5));

        // Now 1 is a leaf and the least recently used one.
        Request(leaf, 4, 5);
        Assert.Equal([true, false, false, true, true, true], Resident(leaf, 6));
    }

    [Fact]
    public void A_block_whose_child_is_resident_is_never_evicted()
    {
        const int Sessions = 12;
        using TieredKvStore store = CreateMetadata(EvictionPolicies.LeafLru, 24);
        var rng = new Random(7);
        var lengths = new int[Sessions];
        for (int step = 0; step < 600; step++)
        {
            int s = rng.Next(Sessions);
            lengths[s] = Math.Min(lengths[s] + 1 + rng.Next(3), 20); // a session grows by a turn, up to 20 blocks
            var blocks = new int[lengths[s]];
            for (int d = 0; d < blocks.Length; d++)
            {
                blocks[d] = (s * 100) + d;
            }

            Request(store, s + 1, blocks);
            for (int t = 0; t < Sessions; t++)
            {
                // Resident blocks of every session form a prefix: no child outlives its parent.
                bool parentResident = true;
                for (int d = 0; d < 20; d++)
                {
                    bool resident = store.Contains(Key((t * 100) + d));
                    Assert.True(parentResident || !resident, $"session {t} block {d} is resident without its parent");
                    parentResident = resident;
                }
            }
        }
    }

    [Fact]
    public void With_no_evictable_leaf_the_least_recent_evictable_block_goes()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.LeafLru, 4);
        Request(store, 1, 0, 1);
        Request(store, 2, 2, 3);
        Assert.True(store.Pin(Key(1)));
        Assert.True(store.Pin(Key(3)));

        // Both leaves are pinned; the store must still make room, from the inner blocks, oldest first.
        Assert.Equal(PutResult.Stored, Put(store, 4));
        Assert.Equal([false, true, true, true, true], Resident(store, 5));
    }

    [Fact]
    public void A_parent_whose_child_was_removed_becomes_a_leaf_again()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.LeafLru, 4);
        Request(store, 1, 0, 1);
        Request(store, 2, 2, 3);
        Assert.True(store.Remove(Key(1)));
        Put(store, 4);
        Put(store, 5); // full: 0 is the least recent leaf now

        Assert.Equal([false, false, true, true, true, true], Resident(store, 6));
    }
}
