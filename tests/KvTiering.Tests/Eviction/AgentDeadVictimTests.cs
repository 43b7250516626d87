using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy's known-dead victims (<see cref="IKnowsDeadBlocks"/>) in a two-tier store: a closed session's
/// private blocks and a branch its session left leave the store instead of moving down; shared blocks move down; a
/// closed session's blocks already below are that tier's first victims. Each case is run with
/// <see cref="KvStoreOptions.DropDeadVictims"/> off too, where the same blocks are demoted.
/// </summary>
public sealed class AgentDeadVictimTests
{
    private readonly FakeTimeProvider _time = new();

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private TieredKvStore TwoTiers(int top, int lower, bool drop)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time, DropDeadVictims = drop };
        options.Tiers.Add(new TierOptions(Profile("hbm"), top) { Policy = EvictionPolicies.Agent });
        options.Tiers.Add(new TierOptions(Profile("dram"), lower) { Policy = EvictionPolicies.Agent });
        return new TieredKvStore(options);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_closed_sessions_victims_are_not_written_to_the_lower_tier(bool drop)
    {
        // As in AgentClosedSessionTests: session 2 is closed, and session 4's six blocks push its six deepest out.
        using TieredKvStore store = TwoTiers(30, 100, drop);
        ThreeSessionsTakeTurns(store, _time);

        store.Hint(2, SessionHint.Closed);
        Advance(1);
        SessionRequest(store, 4, 6);

        for (int i = 4; i < 10; i++)
        {
            Assert.Equal(drop ? -1 : 1, store.TierOf(SessionBlock(2, i)));
        }

        TierStatistics top = store.GetStatistics().Tiers[0];
        Assert.Equal(drop ? (6L, 0L) : (0L, 6L), (top.DeadDrops, top.Demotions));
        Assert.Equal(drop ? 0 : 6, store.GetStatistics().Tiers[1].ResidentBlocks);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_branch_its_session_left_is_not_written_to_the_lower_tier(bool drop)
    {
        // Session 1's second request keeps blocks 0-4 and goes on through new blocks 5'-9' (its context was edited):
        // the old 5-9 are a dead branch (rule 4), the first victims when session 2 arrives.
        using TieredKvStore store = TwoTiers(15, 100, drop);
        SessionRequest(store, 1, 10);
        Advance(30);
        Edited(store, 1);
        Advance(30);
        SessionRequest(store, 2, 5);

        for (int i = 5; i < 10; i++)
        {
            Assert.Equal(drop ? -1 : 1, store.TierOf(SessionBlock(1, i)));
            Assert.Equal(0, store.TierOf(SessionBlock(1, 100 + i)));
        }

        Assert.Equal(drop ? 5 : 0, store.GetStatistics().Tiers[0].DeadDrops);
    }

    [Fact]
    public void A_shared_block_is_demoted_even_when_every_session_using_it_closed()
    {
        // Sessions 1 and 2 share a 4-block head and both close; later sessions push everything out of the top tier:
        // the closed sessions' own blocks leave the store, the shared head moves down.
        using TieredKvStore store = TwoTiers(16, 200, drop: true);
        SessionRequest(store, 1, 10, sharedHead: 4);
        Advance(1);
        SessionRequest(store, 2, 10, sharedHead: 4);
        Advance(1);
        store.Hint(1, SessionHint.Closed);
        store.Hint(2, SessionHint.Closed);
        for (int s = 3; s < 12; s++)
        {
            Advance(100);
            SessionRequest(store, s, 10);
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1, store.TierOf(Key(900_000 + i)));
        }

        for (int i = 4; i < 10; i++)
        {
            Assert.Equal((-1, -1), (store.TierOf(SessionBlock(1, i)), store.TierOf(SessionBlock(2, i))));
        }

        Assert.Equal(12, store.GetStatistics().Tiers[0].DeadDrops);
    }

    [Fact]
    public void A_closed_sessions_blocks_already_below_are_that_tiers_first_victims()
    {
        // The hint reaches every tier's policy: blocks session 1 left in the lower tier before it closed go first when
        // that tier is full, before the live sessions' blocks that arrived there after them.
        using TieredKvStore store = TwoTiers(10, 20, drop: true);
        for (int s = 1; s <= 3; s++)
        {
            SessionRequest(store, s, 10);
            Advance(5);
        }

        int below = Enumerable.Range(0, 10).Count(i => store.TierOf(SessionBlock(1, i)) == 1);
        Assert.True(below > 0, "session 1 should have blocks in the lower tier");
        store.Hint(1, SessionHint.Closed);
        int[] liveBelow = [.. Enumerable.Range(2, 2).SelectMany(s => Enumerable.Range(0, 10).Where(i => store.TierOf(SessionBlock(s, i)) == 1).Select(i => (s * 1000) + i))];
        Advance(5);
        SessionRequest(store, 4, below);

        Assert.All(Enumerable.Range(0, 10), i => Assert.NotEqual(1, store.TierOf(SessionBlock(1, i))));
        Assert.All(liveBelow, id => Assert.NotEqual(-1, store.TierOf(Key(id))));
    }

    [Fact]
    public void A_closed_session_stays_closed_below_when_its_blocks_are_demoted_after_the_close()
    {
        // With the drop off (or a flush), a closed session's blocks still move down after its close. The lower tier
        // already holds some of them, so it knows the session and was told of the close; the later demotions into it
        // are not requests of the session, so it stays closed there and its blocks go before the live sessions'.
        using TieredKvStore store = TwoTiers(16, 12, drop: false);
        SessionRequest(store, 1, 10);
        Advance(2);
        SessionRequest(store, 2, 10);
        string before = Where(store, 4);
        Assert.True(Enumerable.Range(0, 10).Any(i => store.TierOf(SessionBlock(1, i)) == 1), "session 1 should have blocks below: " + before);
        store.Hint(1, SessionHint.Closed);
        Advance(10);
        SessionRequest(store, 3, 6);
        Advance(10);
        SessionRequest(store, 4, 6);

        // The lower tier gave blocks up; none of them was live while a closed block was left there.
        Assert.True(store.GetStatistics().Tiers[1].Evictions > 0, Where(store, 4));
        int liveGone = Enumerable.Range(0, 10).Count(i => store.TierOf(SessionBlock(2, i)) == -1)
            + new[] { 3, 4 }.Sum(s => Enumerable.Range(0, 6).Count(i => store.TierOf(SessionBlock(s, i)) == -1));
        int closedBelow = Enumerable.Range(0, 10).Count(i => store.TierOf(SessionBlock(1, i)) == 1);
        Assert.True(liveGone == 0 || closedBelow == 0, $"{liveGone} live blocks left the store, {closedBelow} of the closed session's stayed below: {before} -> {Where(store, 4)}");
    }

    private static string Where(TieredKvStore store, int sessions) =>
        string.Join(" ", Enumerable.Range(1, sessions).Select(s => $"s{s}:" + string.Concat(Enumerable.Range(0, 10)
            .Select(i => store.TierOf(SessionBlock(s, i)) switch { -1 => "x", var t => t.ToString(System.Globalization.CultureInfo.InvariantCulture) }))));

    /// <summary>Session <paramref name="session"/>'s request with blocks 0-4 as before and new blocks 5'-9' (ids 100 + i).</summary>
    private static void Edited(TieredKvStore store, int session)
    {
        KvTiering.Blocks.BlockKey parent = KvTiering.Blocks.BlockKey.Empty;
        for (int i = 0; i < 10; i++)
        {
            KvTiering.Blocks.BlockKey key = i < 5 ? SessionBlock(session, i) : SessionBlock(session, 100 + i);
            store.Put(key, parent, default, new BlockContext(i, session));
            parent = key;
        }
    }
}
