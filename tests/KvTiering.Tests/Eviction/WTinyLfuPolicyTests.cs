using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class WTinyLfuPolicyTests
{
    [Fact]
    public void Cold_newcomers_lose_the_duel_against_hot_blocks()
    {
        // Capacity 10: a window of 1, a main space of 9.
        using TieredKvStore tiny = CreateMetadata(EvictionPolicies.WTinyLfu, 10);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 10);
        foreach (TieredKvStore store in new[] { tiny, lru })
        {
            for (int i = 0; i < 9; i++)
            {
                Put(store, i);
            }

            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 9; i++)
                {
                    Put(store, i); // seen four times each
                }
            }

            for (int i = 100; i < 120; i++)
            {
                Put(store, i); // seen once each
            }
        }

        for (int i = 0; i < 9; i++)
        {
            Assert.True(tiny.Contains(Key(i)), $"W-TinyLFU let a cold newcomer push out hot block {i}");
            Assert.False(lru.Contains(Key(i)));
        }

        Assert.True(tiny.Contains(Key(119))); // the window holds the latest newcomer
        Assert.False(tiny.Contains(Key(118)));
    }

    [Fact]
    public void A_warm_candidate_wins_and_a_tie_goes_against_the_candidate()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.WTinyLfu, 10);
        for (int i = 0; i < 9; i++)
        {
            Put(store, i); // cold blocks, seen once
        }

        Put(store, 50);
        Put(store, 50);
        Put(store, 50); // the newcomer 50 is seen three times while in the window

        // 51 needs room: the window's overflow moves 0..8 to probation, then 50 (3) duels 0 (1) and wins.
        Put(store, 51);
        Assert.True(store.Contains(Key(50)));
        Assert.False(store.Contains(Key(0)));

        // 52 needs room: 51 (1) duels 1 (1); a tie keeps the incumbent, so the newcomer goes.
        Put(store, 52);
        Assert.False(store.Contains(Key(51)));
        Assert.True(store.Contains(Key(1)));
    }

    [Fact]
    public void Hits_in_probation_protect_a_block_from_the_main_victim_end()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.WTinyLfu, 10);
        for (int i = 0; i < 10; i++)
        {
            Put(store, i);
        }

        Put(store, 10); // moves 0..8 to probation; 9 (the window's oldest) ties 0 and goes
        Put(store, 0);
        Put(store, 0);  // 0 is hit in probation: on to protected
        for (int i = 20; i < 24; i++)
        {
            Put(store, i);
            Put(store, i); // each newcomer is seen three times while in the window ...
            Put(store, i);
        }

        // ... so from the second on, each candidate beats probation's oldest (seen once): 10 tied and went, then
        // 1, 2 and 3 went. 0 was protected and stays, as do the winners.
        Assert.Equal(
            [true, false, false, false, true, true, true, true, true, false, false],
            Resident(store, 11));
        Assert.True(store.Contains(Key(20)) && store.Contains(Key(21)) && store.Contains(Key(22)) && store.Contains(Key(23)));
    }
}
