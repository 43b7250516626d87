using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class SlruPolicyTests
{
    [Fact]
    public void A_block_used_twice_outlives_a_scan_of_blocks_used_once()
    {
        using var slru = new TimedStore(EvictionPolicies.Slru, 4);
        using var lru = new TimedStore(EvictionPolicy.Lru, 4);
        foreach (TimedStore s in new[] { slru, lru })
        {
            Put(s.Store, 0);
            Put(s.Store, 1);
            Put(s.Store, 0); // second use: protected
            for (int i = 2; i < 10; i++)
            {
                Put(s.Store, i);
            }
        }

        Assert.True(slru.Store.Contains(Store.StoreTestKit.Key(0)));
        Assert.False(lru.Store.Contains(Store.StoreTestKit.Key(0)));
    }

    [Fact]
    public void An_evicted_protected_block_comes_back_protected()
    {
        using var s = new TimedStore(EvictionPolicies.Slru, 3); // protected holds at most 2
        Put(s.Store, 0);
        Put(s.Store, 0); // 0 protected
        Put(s.Store, 1);
        Put(s.Store, 1);
        Put(s.Store, 2);
        Put(s.Store, 2); // 2 protected: 0 drops back to probation
        Put(s.Store, 3); // probation is 0 and 3 at most: 0 goes, into the ghost set
        Assert.False(s.Store.Contains(Store.StoreTestKit.Key(0)));

        Put(s.Store, 0); // comes back straight into protected (demoting 1)
        Put(s.Store, 4);
        Put(s.Store, 5);
        Assert.True(s.Store.Contains(Store.StoreTestKit.Key(0)));

        Put(s.Store, 6); // a block never protected goes in probation, and is the next to go
        Put(s.Store, 7);
        Assert.False(s.Store.Contains(Store.StoreTestKit.Key(6)));
    }
}
