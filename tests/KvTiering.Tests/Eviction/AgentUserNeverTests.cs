using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The agent policy's rule 20 (docs/policies/agent.md): <c>agent:usernever=F</c>.</summary>
public sealed class AgentUserNeverTests
{
    private readonly FakeTimeProvider _time = new();

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private static void Turn(TieredKvStore store, int session, int length, SessionHint hint)
    {
        SessionRequest(store, session, length);
        store.Hint(session, hint);
    }

    [Theory]
    [InlineData("agent:mini=false", true)]
    [InlineData("agent:mini=false+usernever=0", false)]
    public void A_user_likely_gone_is_ranked_by_its_wait_not_a_week(string policy, bool rule)
    {
        // Ten users answered in 10 s; twelve more (sessions 11-22) ended their turns and never answered, so once they
        // have waited 10 × the typical answer time the learned answer times say a user still away after 10 s more
        // likely never answers. Session 2 has waited on its tool for 600 s (no tool has returned yet: ranked by its
        // idle time); session 1's user has been away 100 s. Without the rule session 1 ranks at the never-answered
        // bucket's week and goes first; with it, at its 100 s, so session 2, silent longest, gives up its blocks.
        using TieredKvStore store = AgentStore(_time, 25, AgentPolicyVariants.FromName(policy));
        for (int i = 0; i < 11; i++)
        {
            Turn(store, 9, 1, SessionHint.AwaitingUser);
            Advance(10);
        }

        Turn(store, 9, 1, SessionHint.Closed);
        Turn(store, 2, 10, SessionHint.Paused);
        Advance(50);
        for (int s = 11; s <= 22; s++)
        {
            Turn(store, s, 1, SessionHint.AwaitingUser);
        }

        Advance(450);
        Turn(store, 1, 10, SessionHint.AwaitingUser); // the tier is full: the unanswered users are counted as never answering
        Advance(100);
        SessionRequest(store, 3, 10);

        Assert.Equal(rule, store.Contains(SessionBlock(1, 9)));
        Assert.Equal(rule, !store.Contains(SessionBlock(2, 0)));
        Assert.True(store.Contains(SessionBlock(3, 9)), policy);
    }

    [Fact]
    public void The_model_says_when_the_median_of_longer_waits_is_among_the_unended()
    {
        var model = new AgentWaitModel();
        for (int i = 0; i < 10; i++)
        {
            model.Observe(10);
        }

        Assert.False(model.MostlyUnended(0));
        for (int i = 0; i < 6; i++)
        {
            model.ObserveUnended();
        }

        Assert.False(model.MostlyUnended(0)); // 6 of 16 never end: the median is an answered wait
        Assert.True(model.MostlyUnended(60)); // of the waits past 60 s all never end
        Assert.True(model.Remaining(60) > 86_400, "the never-answered bucket's median is about a week");
    }

    [Fact]
    public void The_setting_is_parsed_and_checked()
    {
        Assert.Equal("agent:usernever=1", AgentPolicyVariants.FromName("agent:usernever=1").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:usernever=-1"));
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:usernever=x"));
    }
}
