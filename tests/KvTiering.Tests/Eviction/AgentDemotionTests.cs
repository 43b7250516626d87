using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy in a lower tier learns a demoted block as a demotion (<see cref="IKnowsDemotions"/>), not as a
/// request of its session: the session's gap, latest request, request count, depths and hint state there stay what
/// its requests made them, so it is not ranked as just served when the tier above gave it up. Each case runs with
/// <see cref="KvStoreOptions.TellDemotions"/> off too, where the same demotion is a request, as before.
/// </summary>
public sealed class AgentDemotionTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<AgentProbe> _probes = [];

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private AgentProbe Lower => _probes.Single(p => p.TierIndex == 1);

    private TieredKvStore TwoTiers(int top, int lower, bool tell)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time, TellDemotions = tell };
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_demotion_leaves_the_sessions_gap_latest_request_and_depths_below_alone(bool tell)
    {
        using TieredKvStore store = TwoTiers(10, 100, tell);
        SessionRequest(store, 1, 10);
        Advance(5);
        SessionRequest(store, 2, 10); // session 1 is demoted: the lower tier learns of it
        Advance(20);
        SessionRequest(store, 1, 10); // session 1 returns: its blocks hit below (a request there) and move up
        Assert.Equal(0, store.TierOf(SessionBlock(1, 0)));
        AgentSession before = Lower.Session(1)!.Value;

        Advance(600);
        SessionRequest(store, 3, 10); // ten minutes later the top tier gives session 1 up again
        Assert.Equal(1, store.TierOf(SessionBlock(1, 0)));
        AgentSession after = Lower.Session(1)!.Value;

        if (tell)
        {
            Assert.Equal(
                (before.Gap, before.LastRequest, before.Requests, before.RequestDepth, before.RequestTop, before.MaxGap),
                (after.Gap, after.LastRequest, after.Requests, after.RequestDepth, after.RequestTop, after.MaxGap));
            Assert.Equal(10, after.Count);
        }
        else
        {
            // As before: the demotion was a request ten minutes after the last, and the session looks just served.
            Assert.Equal(before.Requests + 1, after.Requests);
            Assert.Equal(before.LastRequest + 600, after.LastRequest);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_demotion_keeps_the_sessions_hint_state_below(bool tell)
    {
        using TieredKvStore store = TwoTiers(10, 100, tell);
        SessionRequest(store, 1, 10);
        Advance(5);
        SessionRequest(store, 2, 5); // session 1's five deepest go down: the lower tier tracks session 1
        Assert.Equal(1, store.TierOf(SessionBlock(1, 9)));
        store.Hint(1, SessionHint.AwaitingUser); // its turn ended; every tier that tracks it is told
        Assert.Equal(AgentSessionState.AwaitingUser, Lower.Session(1)!.Value.State);

        Advance(120);
        SessionRequest(store, 3, 10); // its other five go down two minutes later: no answer from its user yet

        Assert.Equal(1, store.TierOf(SessionBlock(1, 0)));
        Assert.Equal(tell ? AgentSessionState.AwaitingUser : AgentSessionState.Normal, Lower.Session(1)!.Value.State);
    }

    [Fact]
    public void A_promotion_is_still_a_request_above()
    {
        // A hit below is its session's request in the tier it hits and in the tier it moves up into.
        using TieredKvStore store = TwoTiers(10, 100, tell: true);
        AgentProbe top = _probes.Single(p => p.TierIndex == 0);
        SessionRequest(store, 1, 10);
        double first = top.Session(1)!.Value.LastRequest;
        Advance(5);
        SessionRequest(store, 2, 10); // session 1 goes down
        Assert.Equal(1, store.TierOf(SessionBlock(1, 0)));
        double demoted = Lower.Session(1)!.Value.LastRequest;
        Advance(100);
        SessionRequest(store, 1, 10); // ... and comes back: hits below, promoted

        Assert.Equal(0, store.TierOf(SessionBlock(1, 0)));
        Assert.Equal((2, 105.0), (top.Session(1)!.Value.Requests, top.Session(1)!.Value.LastRequest - first));
        Assert.Equal((2, 100.0), (Lower.Session(1)!.Value.Requests, Lower.Session(1)!.Value.LastRequest - demoted));
    }
}
