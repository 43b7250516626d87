using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class TailLruPolicyTests
{
    [Fact]
    public void Free_tails_go_before_blocks_that_would_push_a_turn_over_its_threshold()
    {
        EvictionPolicy tlru = EvictionPolicy.Create("tail-lru-2", static () => new TailLruPolicy(2));
        using var t = new TimedStore(tlru, 12);
        using var lru = new TimedStore(EvictionPolicies.LruTailFirst, 12);
        foreach (TimedStore s in new[] { t, lru })
        {
            Request(s.Store, 1, 0, 1, 2, 3, 4, 5);       // old conversation, 6 blocks: depths 4 and 5 are free
            Request(s.Store, 2, 10, 11, 12, 13, 14, 15); // recent one: 14 and 15 are free
            Put(s.Store, 20, session: 3);
            Put(s.Store, 21, session: 4);
            Put(s.Store, 22, session: 5);
        }

        // Both take 5 and 4 first; then LRU takes 3, which the old conversation's next turn would have to recompute
        // beyond its threshold, while T-LRU takes the recent conversation's free tail.
        Assert.Equal([true, true, true, true, false, false], Resident(t.Store, 6));
        Assert.False(t.Store.Contains(Store.StoreTestKit.Key(15)));
        Assert.Equal([true, true, true, false, false, false], Resident(lru.Store, 6));
        Assert.True(lru.Store.Contains(Store.StoreTestKit.Key(15)));
    }
}
