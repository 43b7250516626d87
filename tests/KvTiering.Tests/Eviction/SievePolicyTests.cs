using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class SievePolicyTests
{
    [Fact]
    public void Visited_blocks_survive_a_scan_that_flushes_them_under_lru()
    {
        using TieredKvStore sieve = CreateMetadata(EvictionPolicies.Sieve, 4);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 4);
        foreach (TieredKvStore store in new[] { sieve, lru })
        {
            for (int i = 0; i < 4; i++)
            {
                Put(store, i);
            }

            Put(store, 0); // hits: 0 and 1 are visited
            Put(store, 1);
            for (int i = 4; i < 7; i++)
            {
                Put(store, i); // a scan of new blocks
            }
        }

        Assert.Equal([true, true, false, false, false, true, true], Resident(sieve, 7));
        Assert.Equal([false, true, false, false, true, true, true], Resident(lru, 7));
    }

    [Fact]
    public void The_hand_stays_where_it_stopped_instead_of_restarting_at_the_tail()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Sieve, 4);
        for (int i = 0; i < 4; i++)
        {
            Put(store, i);
        }

        Put(store, 0); // 0 visited: the hand clears it and evicts 1, then stops at 2
        Put(store, 4);
        Assert.Equal([true, false, true, true, true], Resident(store, 5));

        Put(store, 0); // 0 visited again, but the hand is past it: 2 goes, then 3
        Put(store, 5);
        Put(store, 6);
        Assert.Equal([true, false, false, false, true, true, true], Resident(store, 7));

        // New blocks land ahead of the hand and go first, while 0, behind it, stays.
        Put(store, 7);
        Put(store, 8);
        Assert.Equal([true, false, false, false, false, false, true, true, true], Resident(store, 9));

        // With 6, 7 and 8 visited the hand runs past the head, wraps to the tail, clears 0 and stops at 6.
        Put(store, 6);
        Put(store, 7);
        Put(store, 8);
        Put(store, 9);
        Assert.Equal([true, false, false, false, false, false, false, true, true, true], Resident(store, 10));
    }
}
