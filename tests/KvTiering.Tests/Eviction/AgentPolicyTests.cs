using KvTiering.Simulation.Policies;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class AgentPolicyTests
{
    private readonly FakeTimeProvider _time = new();

    private TieredKvStore CreateStore(int capacity, EvictionPolicy? policy = null) => AgentStore(_time, capacity, policy);

    private static void Request(TieredKvStore store, int session, int length, int sharedHead = 0) =>
        SessionRequest(store, session, length, sharedHead);

    private static BlockKey Block(int session, int i) => SessionBlock(session, i);

    /// <summary>A request of <paramref name="session"/> that shares its first <paramref name="common"/> blocks and then takes branch X.</summary>
    private static void BranchX(TieredKvStore store, int session, int common, int length)
    {
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < length; i++)
        {
            BlockKey key = i < common ? Block(session, i) : BranchBlock(session, i);
            store.Put(key, parent, default, new BlockContext(i, session));
            parent = key;
        }
    }

    private static BlockKey BranchBlock(int session, int i) => Key((session * 1000) + 500 + i);

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Never_keeps_an_orphaned_tail_whatever_the_interleaving()
    {
        using TieredKvStore store = CreateStore(64);
        var rng = new Random(3);
        var lengths = new int[12];
        for (int step = 0; step < 600; step++)
        {
            int s = 1 + rng.Next(lengths.Length - 1);
            lengths[s] = rng.Next(8) == 0 ? 2 + rng.Next(4) : lengths[s] + 1 + rng.Next(4); // grow, or restart a shorter chain
            Request(store, s, lengths[s]);
            Advance(rng.NextDouble() * 20);

            for (int session = 1; session < lengths.Length; session++)
            {
                for (int i = 1; i < 200; i++)
                {
                    if (store.Contains(Block(session, i)))
                    {
                        Assert.True(store.Contains(Block(session, i - 1)), $"step {step}: session {session} block {i} kept without its parent");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("agent:mini=false")] // always on the prediction, without the miniatures
    public void Keeps_whole_sessions_instead_of_cycling_all_of_them(string policy)
    {
        // Four sessions of 10 blocks take turns, 5 s apart, in a tier of 25 blocks: LRU evicts each session just before
        // it returns and hits nothing; the agent policy keeps a subset whole and hits it every round.
        using TieredKvStore agent = CreateStore(25, AgentPolicyVariants.FromName(policy));
        using TieredKvStore lru = CreateStore(25, EvictionPolicy.Lru);
        int agentHits = 0, lruHits = 0;
        BlockKey[] chain = new BlockKey[10];
        for (int round = 0; round < 10; round++)
        {
            for (int s = 1; s <= 4; s++)
            {
                for (int i = 0; i < chain.Length; i++)
                {
                    chain[i] = Block(s, i);
                }

                agentHits += agent.MatchPrefix(chain).Blocks;
                lruHits += lru.MatchPrefix(chain).Blocks;
                Request(agent, s, 10);
                Request(lru, s, 10);
                Advance(5);
            }
        }

        Assert.Equal(0, lruHits);
        Assert.True(agentHits >= 9 * 4 * 10 / 2, $"agent hit {agentHits} blocks");
    }

    [Fact]
    public void Shared_head_outlives_every_sessions_tail()
    {
        using TieredKvStore store = CreateStore(40);
        for (int round = 0; round < 30; round++)
        {
            int s = 1 + (round % 6);
            Request(store, s, 12 + round, sharedHead: 4);
            Advance(3);
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True(store.Contains(Key(900_000 + i)), $"shared block {i} was evicted");
        }
    }

    [Fact]
    public void A_one_off_scan_does_not_flush_returning_sessions()
    {
        using TieredKvStore store = CreateStore(60);
        for (int round = 0; round < 8; round++)
        {
            for (int s = 1; s <= 3; s++)
            {
                Request(store, s, 15);
                Advance(4);
            }
        }

        Request(store, 99, 200); // a long one-off document, larger than the whole tier
        Advance(4);
        int kept = 0;
        for (int s = 1; s <= 3; s++)
        {
            for (int i = 0; i < 15; i++)
            {
                kept += store.Contains(Block(s, i)) ? 1 : 0;
            }
        }

        Assert.True(kept >= 40, $"only {kept} of 45 session blocks survived the scan");
    }

    [Fact]
    public void Closed_sessions_go_first_then_sessions_awaiting_their_user()
    {
        using TieredKvStore store = CreateStore(30);
        for (int round = 0; round < 3; round++)
        {
            for (int s = 1; s <= 3; s++)
            {
                Request(store, s, 10);
                Advance(2);
            }
        }

        store.Hint(2, SessionHint.Closed);
        store.Hint(3, SessionHint.AwaitingUser);
        Request(store, 4, 10);
        Assert.False(store.Contains(Block(2, 0)) || store.Contains(Block(2, 9)));
        Assert.True(store.Contains(Block(1, 0)) && store.Contains(Block(1, 9)));
        Assert.True(store.Contains(Block(3, 0)));

        Request(store, 5, 10);
        Assert.False(store.Contains(Block(3, 9)));
        Assert.True(store.Contains(Block(1, 9)));
    }

    [Fact]
    public void A_branch_the_session_has_left_goes_before_live_sessions()
    {
        // Session 1's second request keeps blocks 0..9 and takes another branch: its old blocks 10..19 are dead. When
        // session 3 arrives, they go (deepest first), not session 2's context, which they do without the rule.
        foreach ((string policy, bool rule) in new[] { ("agent", true), ("agent:stale=0", false) })
        {
            using TieredKvStore store = CreateStore(40, AgentPolicyVariants.FromName(policy));
            Request(store, 2, 10);
            Advance(1);
            Request(store, 1, 20);
            Advance(9);
            BranchX(store, 1, common: 10, length: 20);
            Advance(1);
            Request(store, 3, 5);

            int session2 = 0;
            for (int i = 0; i < 10; i++)
            {
                session2 += store.Contains(Block(2, i)) ? 1 : 0;
                Assert.True(store.Contains(BranchBlock(1, 10 + i)), $"{policy}: session 1's live branch lost block {10 + i}");
            }

            Assert.Equal(rule, session2 == 10);
            Assert.NotEqual(rule, store.Contains(Block(1, 19)));
            Assert.True(store.Contains(Block(1, 14)), policy);
        }
    }

    [Fact]
    public void A_request_whose_hits_are_reported_late_does_not_leave_its_own_prefix()
    {
        // Session 1's new request reports its new blocks 20..22 before its hits on 0..19 (a store that buffers hits):
        // 0..19 are untouched by it, yet it has not gone past them on another branch, so they are not dead.
        using TieredKvStore store = CreateStore(30);
        Request(store, 2, 10);
        Advance(1);
        Request(store, 1, 20);
        Advance(9);
        BlockKey parent = Block(1, 19);
        for (int i = 20; i < 23; i++)
        {
            store.Put(Block(1, i), parent, default, new BlockContext(i, 1));
            parent = Block(1, i);
        }

        for (int i = 0; i < 23; i++)
        {
            Assert.True(store.Contains(Block(1, i)), $"session 1 lost block {i}");
        }
    }

    [Fact]
    public void A_session_that_branches_back_keeps_the_branch_it_skipped()
    {
        // Session 1 leaves its first branch for branch X, then comes back: a session that returns to skipped blocks
        // is not one whose skipped blocks are dead, so branch X competes by its idle time and stays.
        using TieredKvStore store = CreateStore(35);
        Request(store, 1, 20);
        Advance(4);
        Request(store, 2, 5);
        Advance(5);
        BranchX(store, 1, common: 10, length: 20);
        Advance(10);
        Request(store, 1, 20);
        Advance(1);
        Request(store, 2, 10);

        for (int i = 10; i < 20; i++)
        {
            Assert.True(store.Contains(BranchBlock(1, i)), $"branch X lost block {i}");
        }
    }

    [Fact]
    public void Ablation_variants_parse_and_reject_unknown_settings()
    {
        Assert.Equal("agent:lindy=0.5+tail=false", AgentPolicyVariants.FromName("agent:lindy=0.5+tail=false").Name);
        Assert.Equal("agent:stale=0+sharedtail=false", AgentPolicyVariants.FromName("agent:stale=0+sharedtail=false").Name);
        var ex = Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:speed=9"));
        Assert.Contains("speed", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:lindy=-1"));
    }
}
