using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy's learned ranker (<c>agent:rank=learned</c>, docs/policies/agent-research-log.md, "Session 21, rank22"): a live
/// session's rank is the rules' expected wait × exp(Σ cᵢ xᵢ) over its features, with the weights fitted offline.
/// </summary>
public sealed class AgentLearnedRankTests
{
    private readonly FakeTimeProvider _time = new();

    private static AgentSession Session(int resident, int requests) => new()
    {
        Gap = 10, Requests = requests, Count = resident, RequestDepth = 1000, PrevAdded = 20, LastRequest = 100,
        HintAt = 100, State = AgentSessionState.Normal,
    };

    [Fact]
    public void The_learned_score_orders_two_sessions_as_its_weights_say()
    {
        // Two sessions alike but for their resident blocks (feature 10, log resident) and turns (feature 8).
        AgentSession small = Session(resident: 10, requests: 4);
        AgentSession large = Session(resident: 1000, requests: 4);
        double[] weights = new double[AgentLearnedRank.FeatureCount - 1];
        Assert.Equal(50.0, AgentLearnedWeights.Rank(ref small, 150, 50, 10, weights)); // no correction: the rules' rank

        weights[10 - 1] = 0.5; // more resident blocks: expected back later
        double smallRank = AgentLearnedWeights.Rank(ref small, 150, 50, 10, weights);
        double largeRank = AgentLearnedWeights.Rank(ref large, 150, 50, 10, weights);
        Assert.True(largeRank > smallRank, $"{largeRank} should rank after {smallRank}");
        Assert.Equal(Math.Sqrt(1001.0 / 11.0), largeRank / smallRank, 6); // exp(0.5 × Δ log(count + 1))

        weights[10 - 1] = -0.5; // the sign flips the order
        Assert.True(AgentLearnedWeights.Rank(ref large, 150, 50, 10, weights) < AgentLearnedWeights.Rank(ref small, 150, 50, 10, weights));

        AgentSession veteran = Session(resident: 10, requests: 64);
        weights[10 - 1] = 0;
        weights[8 - 1] = -1; // more turns: expected back sooner
        Assert.Equal(4.0 / 64.0, AgentLearnedWeights.Rank(ref veteran, 150, 50, 10, weights) / AgentLearnedWeights.Rank(ref small, 150, 50, 10, weights), 9);
    }

    [Fact]
    public void A_rank_past_every_live_session_is_not_corrected()
    {
        AgentSession s = Session(resident: 10, requests: 4);
        double[] weights = Enumerable.Repeat(1.0, AgentLearnedRank.FeatureCount - 1).ToArray();
        Assert.Equal(double.MaxValue, AgentLearnedWeights.Rank(ref s, 150, double.MaxValue, 10, weights));
        Assert.Equal(0.0, AgentLearnedWeights.Rank(ref s, 150, 0, 10, weights));
    }

    [Theory]
    [InlineData("agent:rank=learned")]
    [InlineData("agent:rank=rules")]
    [InlineData("agent:rank=Learned+mini=false")]
    public void The_setting_parses(string spec) => Assert.NotNull(AgentPolicyVariants.FromName(spec));

    [Theory]
    [InlineData("agent:rank=neural", "rank=neural")]
    [InlineData("agent:rank=", "rank=")]
    public void A_bad_value_is_refused_naming_it(string spec, string named)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName(spec));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_closed_session_still_goes_first()
    {
        using TieredKvStore store = AgentStore(_time, 30, AgentPolicyVariants.FromName("agent:rank=learned"));
        ThreeSessionsTakeTurns(store, _time);

        store.Hint(1, SessionHint.AwaitingUser);
        store.Hint(3, SessionHint.Paused);
        store.Hint(2, SessionHint.Closed);
        _time.Advance(TimeSpan.FromSeconds(1));
        SessionRequest(store, 4, 6);
        Assert.False(store.Contains(SessionBlock(2, 4)));
        for (int i = 0; i < 10; i++)
        {
            Assert.True(store.Contains(SessionBlock(1, i)) && store.Contains(SessionBlock(3, i)), $"live block {i} evicted");
        }
    }
}
