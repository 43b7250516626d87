using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The agent policy's session-end rule (docs/policies/agent.md, rule 16): <c>agent:ended=K</c>.</summary>
public sealed class AgentSessionEndTests
{
    [Theory]
    [InlineData("agent:mini=false+ended=10", true)]
    [InlineData("agent:mini=false", false)]
    public void A_session_silent_for_many_times_its_longest_gap_goes_before_a_slow_live_one(string policy, bool ended)
    {
        // Session 1 came back every 5 s, then fell silent for 100 s: twenty times its longest gap, so it has probably
        // ended. Session 2 comes back every 1,000 s and was served 150 s ago. By gaps alone session 2 is expected back
        // later (in 850 s, against session 1's 100 s of idle time) and goes; with the rule session 1 goes.
        using var timed = new TimedStore(AgentPolicyVariants.FromName(policy), 25);
        TieredKvStore store = timed.Store;
        for (int i = 0; i < 3; i++)
        {
            SessionRequest(store, 2, 10);
            timed.Advance(i < 2 ? 1000 : 25);
        }

        for (int i = 0; i < 6; i++)
        {
            SessionRequest(store, 1, 10);
            timed.Advance(5);
        }

        timed.Advance(95);
        SessionRequest(store, 3, 10);

        Assert.Equal(ended, !store.Contains(SessionBlock(1, 9)));
        Assert.Equal(ended, store.Contains(SessionBlock(2, 9)));
        Assert.True(store.Contains(SessionBlock(1, 0)), "the victim gives up its deepest blocks first");
        Assert.True(store.Contains(SessionBlock(3, 9)));
    }

    [Fact]
    public void The_setting_is_parsed_and_checked()
    {
        Assert.Equal("agent:ended=6", AgentPolicyVariants.FromName("agent:ended=6").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:ended=x"));
    }
}
