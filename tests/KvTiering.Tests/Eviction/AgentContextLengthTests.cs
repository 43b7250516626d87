using KvTiering.Simulation.Policies;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The agent policy's context-length rule (docs/policies/agent.md, rule 19): <c>agent:length=β</c>.</summary>
public sealed class AgentContextLengthTests
{
    [Theory]
    [InlineData("agent:mini=false+length=0.5", true)]
    [InlineData("agent:mini=false", false)]
    public void At_equal_timing_a_long_context_goes_before_a_short_one(string policy, bool length)
    {
        // Sessions 1 (10 blocks) and 2 (60 blocks) both come back every 10 s, 5 s apart, then fall silent. 60 s after
        // session 1's last request and 55 s after session 2's, a new session needs 10 blocks of the full tier. By timing
        // alone session 1, idle longer, goes; with the rule session 2's rank is scaled by (60 / 1,024)^0.5 against
        // (16 / 1,024)^0.5 for session 1's short context, so session 2 gives up its deepest blocks instead.
        using var timed = new TimedStore(AgentPolicyVariants.FromName(policy), 80);
        TieredKvStore store = timed.Store;
        for (int i = 0; i < 4; i++)
        {
            SessionRequest(store, 1, 10);
            timed.Advance(5);
            SessionRequest(store, 2, 60);
            timed.Advance(5);
        }

        timed.Advance(50);
        SessionRequest(store, 3, 20);

        Assert.Equal(length, store.Contains(SessionBlock(1, 0)));
        Assert.Equal(length, !store.Contains(SessionBlock(2, 59)));
        Assert.True(store.Contains(SessionBlock(2, 0)), "the victim gives up its deepest blocks first");
        Assert.True(store.Contains(SessionBlock(3, 19)));
    }

    [Fact]
    public void The_setting_is_parsed_and_checked()
    {
        Assert.Equal("agent:length=0.1", AgentPolicyVariants.FromName("agent:length=0.1").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:length=-1"));
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:length=x"));
    }
}
