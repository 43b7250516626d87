using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// Rule 11's choice of order for blocks of no session: ARC's or S3-FIFO's, whichever of two shadow caches says hits more.
/// </summary>
public sealed class AgentAnonymousOrderTests
{
    /// <summary>
    /// A session-less workload with both kinds of reuse: half the requests reuse one of 10 hot 4-block prefixes (then
    /// two blocks of their own), the other half are conversations, each continued exactly once 40 requests later (its
    /// 6 blocks again, then 3 more). A small tier can keep only the hot prefixes, and S3-FIFO's quick demotion does;
    /// ARC's learned split chases the returning conversations it cannot keep anyway. A large tier can keep every
    /// conversation until its next turn, which S3-FIFO's small queue (a tenth of the tier) cannot.
    /// </summary>
    /// <summary>Hits of ARC's and S3-FIFO's orders alone on the conversation workload, checked to favour ARC's by half.</summary>
    private static (int Arc, int Fifo) OrdersFavouringArc(int capacity, int common = 0)
    {
        int arc = Replay("agent:anonorder=arc", capacity, distance: 12, common: common);
        int fifo = Replay("agent:anonorder=s3fifo", capacity, distance: 12, common: common);
        Assert.True(arc > fifo * 1.5, $"the workload should favour ARC's order: arc {arc}, s3fifo {fifo}");
        return (arc, fifo);
    }

    private static int Replay(string policy, int capacity, int distance, int requests = 1600, int common = 0, int hotFirst = 0)
    {
        var time = new FakeTimeProvider();
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = time };
        options.Tiers.Add(new TierOptions(Profile("hbm"), capacity) { Policy = AgentPolicyVariants.FromName(policy) });
        using var store = new TieredKvStore(options);
        var random = new Random(19);
        var pending = new Queue<(int Due, int First)>();
        int fresh = 1_000;
        int hits = 0;
        var chain = new List<int>(16);
        for (int r = 0; r < requests; r++)
        {
            chain.Clear();
            for (int i = 0; i < common; i++)
            {
                chain.Add(900_000 + i);
            }

            if (pending.Count > 0 && pending.Peek().Due <= r)
            {
                int first = pending.Dequeue().First;
                for (int i = 0; i < 6; i++)
                {
                    chain.Add(first + i);
                }

                AddFresh(chain, ref fresh, 3);
            }
            else if (r < hotFirst || random.Next(2) == 0)
            {
                int hot = random.Next(10) * 4;
                for (int i = 0; i < 4; i++)
                {
                    chain.Add(hot + i);
                }

                AddFresh(chain, ref fresh, 2);
            }
            else
            {
                pending.Enqueue((r + distance, fresh));
                AddFresh(chain, ref fresh, 6);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            hits += Request(store, chain) - (r == 0 ? 0 : common);
        }

        return hits;
    }

    private static void AddFresh(List<int> chain, ref int fresh, int count)
    {
        for (int i = 0; i < count; i++)
        {
            chain.Add(fresh++);
        }
    }

    /// <summary>One request of no session: its leading resident blocks are its hit.</summary>
    private static int Request(TieredKvStore store, List<int> chain)
    {
        int hits = 0;
        bool leading = true;
        BlockKey parent = BlockKey.Empty;
        for (int d = 0; d < chain.Count; d++)
        {
            bool present = store.Put(Key(chain[d]), parent, default, new BlockContext(d, 0)) == PutResult.AlreadyPresent;
            leading &= present;
            hits += leading ? 1 : 0;
            parent = Key(chain[d]);
        }

        return hits;
    }

    [Fact]
    public void A_small_tier_runs_in_S3_FIFO_order_where_that_keeps_the_hot_prefixes()
    {
        int arc = Replay("agent:anonorder=arc", capacity: 48, distance: 12, requests: 4000);
        int fifo = Replay("agent:anonorder=s3fifo", capacity: 48, distance: 12, requests: 4000);
        int adaptive = Replay("agent", capacity: 48, distance: 12, requests: 4000);
        Assert.True(fifo > arc * 1.2, $"the workload should favour S3-FIFO's order: arc {arc}, s3fifo {fifo}");
        Assert.True(adaptive > fifo * 0.95, $"adaptive {adaptive} should be within 5% of s3fifo's order {fifo} (arc {arc})");
    }

    [Fact]
    public void A_large_tier_switches_to_ARC_order_where_that_keeps_conversations_until_their_next_turn()
    {
        (int arc, int fifo) = OrdersFavouringArc(capacity: 160);
        int adaptive = Replay("agent", capacity: 160, distance: 12);
        Assert.True(adaptive > arc * 0.95, $"adaptive {adaptive} should be within 5% of arc's order {arc} (s3fifo {fifo})");
    }

    /// <summary>
    /// The large tier's workload behind a 40-block prefix every request shares: both shadows hit it every time, so
    /// the difference of their hit counts is as large as before while their sum is many times larger, and the unpaired
    /// test of rule 11 waits far longer to move to ARC's order. The paired test (<c>anonpaired</c>) counts only the
    /// references one shadow hits and the other misses, so the shared prefix does not dilute the evidence.
    /// </summary>
    [Fact]
    public void A_paired_test_is_not_diluted_by_blocks_both_orders_hit()
    {
        (int arc, int fifo) = OrdersFavouringArc(capacity: 200, common: 40);
        int unpaired = Replay("agent", capacity: 200, distance: 12, common: 40);
        int paired = Replay("agent:anonpaired=25", capacity: 200, distance: 12, common: 40);
        Assert.True(paired > arc * 0.95, $"paired {paired} should be within 5% of arc's order {arc} (s3fifo {fifo})");
        Assert.True(paired > unpaired, $"paired {paired} should move to ARC's order sooner than unpaired {unpaired}");
    }

    /// <summary>
    /// The large tier's workload with the shadows limited to 80 blocks (<c>anonshadow</c>): they replay a 1-in-2 key
    /// sample at half the tier's size (SHARDS), and the sample still shows ARC's order ahead.
    /// </summary>
    [Fact]
    public void Sampled_shadows_still_find_the_order_that_hits_more()
    {
        (int arc, int fifo) = OrdersFavouringArc(capacity: 160);
        int sampled = Replay("agent:anonshadow=80", capacity: 160, distance: 12);
        Assert.True(sampled > arc * 0.95, $"sampled {sampled} should be within 5% of arc's order {arc} (s3fifo {fifo})");
        Assert.Equal("agent:anonshadow=2048", AgentPolicyVariants.FromName("agent:anonshadow=2048").Name);
    }

    /// <summary>
    /// The large tier's workload with the shadows sampled down to a floor of 40 blocks once the request-size gate has
    /// settled (256 requests; gate ratio 10, so the requests of 6 to 9 blocks are small against 160): from then on
    /// they replay a 1-in-4 key sample at a quarter of the tier, read at four times their counts, and still find ARC's
    /// order. With the default gate (requests at most 1/50 of the tier) the gate stays shut and the shadows whole, so
    /// the floor changes nothing.
    /// </summary>
    [Fact]
    public void Shadows_sampled_down_to_a_floor_for_small_requests_still_find_the_order_that_hits_more()
    {
        (int arc, int fifo) = OrdersFavouringArc(capacity: 160);
        int whole = Replay("agent:anongate=10+anonfloor=0", capacity: 160, distance: 12);
        int sampled = Replay("agent:anongate=10+anonfloor=40", capacity: 160, distance: 12);
        Assert.True(sampled > arc * 0.95, $"sampled {sampled} should be within 5% of arc's order {arc} (s3fifo {fifo}, whole {whole})");
        Assert.Equal(Replay("agent:anonfloor=0", capacity: 160, distance: 12), Replay("agent:anonfloor=40", capacity: 160, distance: 12));
        Assert.Equal("agent:anonfloor=2048", AgentPolicyVariants.FromName("agent:anonfloor=2048").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:anonfloor=-1"));
    }

    /// <summary>
    /// The large tier's workload after 400 requests of hot prefixes only, with ARC's real order kept only while it is
    /// in charge (<c>anonarcdemand</c>, with the gate open at ratio 10 and the small queue held at its tenth: a cap of
    /// 0.1): at 256 requests, in S3-FIFO's order, ARC's
    /// is dropped; once the conversations show it ahead in the shadows it is rebuilt from S3-FIFO's (main queue as
    /// blocks used again) and takes over, within 5% of ARC's order alone.
    /// </summary>
    /// <summary>
    /// The large tier's workload with the gate open at ratio 10 and whole shadows: with the order in charge as its own
    /// shadow (<c>anonselfshadow</c>), only ARC's shadow replays the references against the pool's own hits, and ARC's
    /// order still takes over, within 5% of ARC's order alone.
    /// </summary>
    [Fact]
    public void The_order_in_charge_as_its_own_shadow_still_hands_over_where_the_other_hits_more()
    {
        (int arc, int fifo) = OrdersFavouringArc(capacity: 160);
        int both = Replay("agent:anongate=10+anonfloor=0+anonselfshadow=false", capacity: 160, distance: 12);
        int self = Replay("agent:anongate=10+anonfloor=0+anonselfshadow=true", capacity: 160, distance: 12);
        Assert.True(self > arc * 0.95, $"self-shadowed {self} should be within 5% of arc's order {arc} (s3fifo {fifo}, two shadows {both})");
        Assert.Equal("agent:anonselfshadow=false", AgentPolicyVariants.FromName("agent:anonselfshadow=false").Name);
    }

    [Fact]
    public void ARC_order_rebuilt_on_demand_takes_over_where_it_hits_more()
    {
        int arc = Replay("agent:anonorder=arc", capacity: 160, distance: 12, requests: 2000, hotFirst: 400);
        int fifo = Replay("agent:anonorder=s3fifo+anonadaptive=0.1+anongate=10", capacity: 160, distance: 12, requests: 2000, hotFirst: 400);
        Assert.True(arc > fifo * 1.3, $"the workload should favour ARC's order: arc {arc}, s3fifo {fifo}");
        int kept = Replay("agent:anonadaptive=0.1+anongate=10+anonfloor=0+anonarcdemand=false", capacity: 160, distance: 12, requests: 2000, hotFirst: 400);
        int onDemand = Replay("agent:anonadaptive=0.1+anongate=10+anonfloor=0+anonarcdemand=true", capacity: 160, distance: 12, requests: 2000, hotFirst: 400);
        Assert.True(onDemand > arc * 0.95, $"on demand {onDemand} should be within 5% of arc's order {arc} (s3fifo {fifo}, kept {kept})");
        Assert.Equal("agent:anonarcdemand=false", AgentPolicyVariants.FromName("agent:anonarcdemand=false").Name);
    }

    [Fact]
    public void A_shadow_told_that_a_request_starts_restarts_its_chain_whatever_the_depth()
    {
        // A sampled shadow sees a few blocks of each request: the next request's first sampled block may lie deeper
        // than the last one it saw of the previous request.
        var shadow = new S3FifoShadow(8);
        Assert.False(shadow.Reference(Key(0), 2, startsRequest: true));
        Assert.False(shadow.Reference(Key(1), 5, startsRequest: false));
        Assert.True(shadow.Reference(Key(0), 7, startsRequest: true));  // deeper, but a new request: its chain is alive
        Assert.False(shadow.Reference(Key(2), 9, startsRequest: false)); // a miss ends it ...
        Assert.False(shadow.Reference(Key(1), 11, startsRequest: false)); // ... so a resident block behind it is no hit
        Assert.Equal(1, shadow.Hits);
    }

    [Fact]
    public void The_paired_setting_parses_and_rejects_a_bad_value_by_name()
    {
        Assert.Equal("agent:anonpaired=100", AgentPolicyVariants.FromName("agent:anonpaired=100").Name);
        ArgumentException error = Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:anonpaired=-1"));
        Assert.Contains("anonpaired=-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shadow_counts_only_a_request_s_leading_resident_blocks()
    {
        var shadow = new S3FifoShadow(8);
        for (int d = 0; d < 3; d++)
        {
            Assert.False(shadow.Reference(Key(d), d));
        }

        Assert.False(shadow.Reference(Key(99), 0)); // a new request whose first block is new ...
        Assert.False(shadow.Reference(Key(1), 1));  // ... does not hit its resident second block
        Assert.True(shadow.Reference(Key(0), 0));   // the next request does: its chain starts resident
        Assert.True(shadow.Reference(Key(1), 1));
        Assert.Equal(2, shadow.Hits);
    }
}
