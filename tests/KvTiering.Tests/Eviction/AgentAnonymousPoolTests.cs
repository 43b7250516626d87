using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Blocks of no session (session 0) leave the agent policy in ARC's order over tail-first lists.</summary>
public sealed class AgentAnonymousPoolTests
{
    private readonly FakeTimeProvider _time = new();

    private TieredKvStore CreateStore(int capacity, EvictionPolicy policy)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), capacity) { Policy = policy });
        return new TieredKvStore(options);
    }

    /// <summary>A session-less request: the given blocks as one chain, depths 0, 1, …; one second later than the last.</summary>
    private int Request(TieredKvStore store, params int[] blocks)
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        int hits = 0;
        BlockKey parent = BlockKey.Empty;
        for (int d = 0; d < blocks.Length; d++)
        {
            if (store.Put(Key(blocks[d]), parent, default, new BlockContext(d, 0)) == PutResult.AlreadyPresent)
            {
                hits++;
            }

            parent = Key(blocks[d]);
        }

        return hits;
    }

    [Fact]
    public void A_prefix_many_requests_share_outlives_one_off_requests_larger_than_the_tier()
    {
        using TieredKvStore agent = CreateStore(16, EvictionPolicies.Agent);
        using TieredKvStore byRecency = CreateStore(16, AgentPolicyVariants.Parse("agent:anonarc=false"));
        foreach (TieredKvStore store in new[] { agent, byRecency })
        {
            Request(store, 0, 1, 2, 3, 100, 101);
            Request(store, 0, 1, 2, 3, 110, 111); // the prefix 0..3 is used again
            for (int r = 0; r < 5; r++)
            {
                Request(store, 200 + (10 * r), 201 + (10 * r), 202 + (10 * r), 203 + (10 * r), 204 + (10 * r), 205 + (10 * r));
            }
        }

        Assert.Equal(4, Request(agent, 0, 1, 2, 3, 120));
        Assert.Equal(0, Request(byRecency, 0, 1, 2, 3, 120));
    }

    [Fact]
    public void A_request_used_once_leaves_from_the_tip_of_its_chain()
    {
        using TieredKvStore agent = CreateStore(6, EvictionPolicies.Agent);
        using TieredKvStore arc = CreateStore(6, EvictionPolicies.Arc);
        foreach (TieredKvStore store in new[] { agent, arc })
        {
            Request(store, 0, 1, 2, 3, 4, 5);
            Request(store, 50);
        }

        // ARC's once list is plain LRU: the chain loses its head and strands five blocks no request can reach.
        Assert.False(arc.Contains(Key(0)));
        Assert.True(agent.Contains(Key(0)));
        Assert.False(agent.Contains(Key(5)));
        Assert.Equal(5, Request(agent, 0, 1, 2, 3, 4));
    }

    [Fact]
    public void Behind_small_requests_the_small_queue_learns_to_keep_blocks_until_their_return_and_behind_large_ones_it_stays_a_tenth()
    {
        // S3-FIFO's order alone (no shadows), learned (the default) and fixed: a stream in which every new block comes
        // back once, 20 new blocks later. Blocks of one-block requests outlive a tenth of the tier only if the small
        // queue learns from its ghost hits; the same stream in ten-block requests shuts the gate (mean request over
        // 1/50 of the tier), and the learned queue then behaves as the fixed tenth, hit for hit.
        int Hits(string policy, int requestBlocks)
        {
            using TieredKvStore store = CreateStore(100, AgentPolicyVariants.Parse(policy));
            int hits = 0;
            for (int i = 0; i < 400; i++)
            {
                Request(store, Chain(i, requestBlocks));
                if (i >= 20)
                {
                    hits += Request(store, Chain(i - 20, requestBlocks));
                }
            }

            return hits;
        }

        int[] Chain(int id, int length) => Enumerable.Range(id * length, length).ToArray();

        int learned = Hits("agent:anonorder=s3fifo", 1);
        int fixedTenth = Hits("agent:anonorder=s3fifo+anonadaptive=0", 1);
        Assert.True(learned > fixedTenth + 100, $"learned {learned}, fixed {fixedTenth}");
        Assert.Equal(Hits("agent:anonorder=s3fifo+anonadaptive=0", 10), Hits("agent:anonorder=s3fifo", 10));
    }
}
