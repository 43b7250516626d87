using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class BeladyPolicyTests
{
    /// <summary>Replays a reference string (block numbers), each reference carrying its block's next use; returns hits.</summary>
    private static int Replay(TieredKvStore store, int[] references)
    {
        int hits = 0;
        for (int t = 0; t < references.Length; t++)
        {
            long next = long.MaxValue;
            for (int u = t + 1; u < references.Length; u++)
            {
                if (references[u] == references[t])
                {
                    next = u;
                    break;
                }
            }

            if (Put(store, references[t], nextUse: next) == PutResult.AlreadyPresent)
            {
                hits++;
            }
        }

        return hits;
    }

    [Fact]
    public void Matches_the_hand_computed_optimum()
    {
        // a b c a b d a c with two slots. MIN keeps a and b, bypasses c (needed last), then hits a, b and a: 3 hits.
        // No schedule does better: 4 distinct blocks are 4 compulsory misses, and keeping c for t = 7 costs b at t = 4.
        int[] references = [0, 1, 2, 0, 1, 3, 0, 2];
        using TieredKvStore belady = CreateMetadata(EvictionPolicies.Belady, 2);
        using TieredKvStore lru = CreateMetadata(EvictionPolicy.Lru, 2);

        Assert.Equal(3, Replay(belady, references));
        Assert.Equal(0, Replay(lru, references));
    }

    [Fact]
    public void Hits_no_fewer_than_any_online_policy_on_a_looping_pattern()
    {
        // A loop over 5 blocks in 4 slots: LRU misses every time, MIN keeps 3 of them hot.
        int[] references = [.. Enumerable.Range(0, 40).Select(i => i % 5)];
        using TieredKvStore belady = CreateMetadata(EvictionPolicies.Belady, 4);
        int best = Replay(belady, references);
        foreach (string name in EvictionPolicies.Names)
        {
            using TieredKvStore store = CreateMetadata(EvictionPolicies.FromName(name), 4);
            Assert.True(Replay(store, references) <= best, $"{name} beat Belady");
        }

        Assert.True(best >= 25, $"Belady hit {best} times");
    }

    [Fact]
    public void Declines_a_never_reused_block_only_when_the_tier_is_full()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Belady, 2);
        Assert.Equal(PutResult.Stored, Put(store, 0, nextUse: long.MaxValue)); // room: admitted
        Assert.Equal(PutResult.Stored, Put(store, 1, nextUse: 10));
        Assert.Equal(PutResult.Rejected, Put(store, 2, nextUse: long.MaxValue));
        Assert.False(store.Contains(Key(2)));
        Assert.Equal(1, store.GetStatistics().Tiers[0].Rejections);

        // One needed sooner than the farthest resident block gets in, and the never-reused one goes.
        Assert.Equal(PutResult.Stored, Put(store, 3, nextUse: 5));
        Assert.Equal([false, true, false, true], Resident(store, 4));

        // One needed later than every resident block is declined.
        Assert.Equal(PutResult.Rejected, Put(store, 4, nextUse: 20));
    }

    [Fact]
    public void Ties_on_next_use_evict_the_deeper_block()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Belady, 3);
        Put(store, 0, depth: 0, nextUse: 9);
        Put(store, 1, depth: 3, nextUse: 9);
        Put(store, 2, depth: 1, nextUse: 9);
        Put(store, 3, depth: 0, nextUse: 4);
        Assert.Equal([true, false, true, true], Resident(store, 4));
    }

    [Fact]
    public void An_access_re_ranks_the_block_by_its_new_next_use()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Belady, 2);
        Put(store, 0, nextUse: 3);
        Put(store, 1, nextUse: 8);
        Put(store, 0, nextUse: 50); // its next use is now far away
        Put(store, 2, nextUse: 6);
        Assert.Equal([false, true, true], Resident(store, 3));
    }
}
