using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy in a lower tier hears of the requests the tier above serves (<see cref="IKnowsRequestsAbove"/>,
/// <see cref="KvStoreOptions.TellRequests"/>): a session whose requests the top tier keeps serving is ranked there as
/// active, so when room must be made the idle session's blocks go, not the active one's. Without it the lower tier
/// knows the active session only from its demotions and ranks it as idle since then.
/// </summary>
public sealed class AgentRequestsAboveTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<AgentProbe> _probes = [];

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private AgentProbe Lower => _probes.Single(p => p.TierIndex == 1);

    private TieredKvStore TwoTiers(int top, int lower, bool tellRequests)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time, TellDemotions = true, TellRequests = tellRequests };
        EvictionPolicy policy = EvictionPolicy.Create("agent-probe", () =>
        {
            var probe = new AgentProbe();
            _probes.Add(probe);
            return probe;
        });
        options.Tiers.Add(new TierOptions(Profile("hbm"), top) { Policy = policy });
        options.Tiers.Add(new TierOptions(Profile("dram"), lower) { Policy = policy });
        return new TieredKvStore(options);
    }

    /// <summary>Session <paramref name="session"/>'s request of its blocks <paramref name="from"/>.. (four of them) as one unit.</summary>
    private static void Offer(TieredKvStore store, int session, int from)
    {
        BlockKey[] keys = [.. Enumerable.Range(from, 4).Select(i => SessionBlock(session, i))];
        store.OfferRequest(keys, session);
    }

    private static bool[] Resident(TieredKvStore store, int session, int from) =>
        [.. Enumerable.Range(from, 4).Select(i => store.TierOf(SessionBlock(session, i)) == 1)];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_lower_tier_keeps_a_session_the_top_tier_serves_ahead_of_an_idle_one(bool tellRequests)
    {
        using TieredKvStore store = TwoTiers(4, 8, tellRequests);
        Offer(store, 1, 0);   // t = 0: session 1's first branch fills the top tier
        Advance(1);
        Offer(store, 2, 0);   // t = 1: session 2 pushes it down
        Advance(1);
        Offer(store, 1, 100); // t = 2: session 1's second branch pushes session 2 down: the lower tier is full
        for (int turn = 0; turn < 9; turn++)
        {
            Advance(10);
            Offer(store, 1, 100); // every 10 s session 1 returns; the top tier serves all of it
        }

        Assert.True(Resident(store, 1, 100).All(r => !r)); // nothing of session 1's second branch is below yet
        Advance(8);
        Offer(store, 3, 0); // t = 100: a new session pushes session 1's second branch down; room must be made below

        if (tellRequests)
        {
            // The lower tier heard session 1 every 10 s: its current branch stays whole below and the idle session 2
            // gives blocks up (as does session 1's first branch, which its latest requests left: stale, rule 4).
            Assert.Equal(11, Lower.Session(1)!.Value.Requests); // opened by its first demotion, then 10 arrivals
            Assert.All(Resident(store, 1, 100), Assert.True);
            Assert.Contains(false, Resident(store, 2, 0));
        }
        else
        {
            // As before: below, session 1 looks idle since its first demotion, so its current branch gives blocks up
            // and the idle session 2 keeps all of its own.
            Assert.Equal(1, Lower.Session(1)!.Value.Requests);
            Assert.Contains(false, Resident(store, 1, 100));
            Assert.All(Resident(store, 2, 0), Assert.True);
        }
    }

    [Fact]
    public void A_request_above_moves_the_sessions_gap_and_latest_request_below_but_touches_no_block()
    {
        using TieredKvStore store = TwoTiers(4, 8, tellRequests: true);
        Offer(store, 1, 0);
        Advance(1);
        Offer(store, 2, 0); // session 1 is demoted: the lower tier opens it at t = 1
        Advance(1);
        Offer(store, 1, 100);
        AgentSession before = Lower.Session(1)!.Value;
        Advance(30);
        Offer(store, 1, 100); // served above at t = 32

        AgentSession after = Lower.Session(1)!.Value;
        Assert.Equal(before.Requests + 1, after.Requests);
        Assert.Equal(32, after.LastRequest, 9);
        Assert.False(double.IsNaN(after.Gap));
        Assert.Equal(before.Count, after.Count);
        Assert.Equal((before.Head, before.Tail), (after.Head, after.Tail)); // no block moved in its list
        BlockKey[] servedAbove = [.. Enumerable.Range(100, 4).Select(i => SessionBlock(1, i))];
        store.OfferRequest(servedAbove, session: 5); // session 5 holds nothing below and moves nothing there
        Assert.Null(Lower.Session(5));
    }
}
