using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Eviction.AgentTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>
/// The agent policy's rule 8 for <see cref="SessionHint.Closed"/> (docs/policies/agent.md): a closed session's blocks go
/// before any live session's, under every ordering and option, and blocks it shares with a live session stay.
/// </summary>
public sealed class AgentClosedSessionTests
{
    private readonly FakeTimeProvider _time = new();

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData("agent")]
    [InlineData("agent:mini=false")]      // the expected-return ordering alone
    [InlineData("agent:predict=false")]   // recency (LRU-tail-first between sessions)
    [InlineData("agent:length=0.1")]      // rule 19 scales every rank
    [InlineData("agent:density=15")]      // hit density ranks hinted sessions
    [InlineData("agent:learned=3")]       // the learned return predictor ranks sessions
    [InlineData("agent:ended=8")]         // rule 16
    public void A_closed_session_goes_first_whichever_session_the_ordering_would_pick(string policy)
    {
        // Three sessions take turns; then each is told something. Session 1, served longest ago, would go first under
        // recency; session 3, just served, under the expected-return ranking (MRU under thrashing). Session 2, closed,
        // is neither, and its blocks all go before anyone else's, deepest first, as session 4 arrives.
        using TieredKvStore store = AgentStore(_time, 30, AgentPolicyVariants.FromName(policy));
        ThreeSessionsTakeTurns(store, _time);

        store.Hint(1, SessionHint.AwaitingUser);
        store.Hint(3, SessionHint.Paused);
        store.Hint(2, SessionHint.Closed);
        Advance(1);
        SessionRequest(store, 4, 6);

        Assert.True(store.Contains(SessionBlock(2, 0)) && store.Contains(SessionBlock(2, 3)), $"{policy}: a prefix stays, tail first");
        Assert.False(store.Contains(SessionBlock(2, 4)), policy);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(store.Contains(SessionBlock(1, i)) && store.Contains(SessionBlock(3, i)), $"{policy}: live block {i} evicted");
        }

        SessionRequest(store, 5, 4);
        Assert.False(store.Contains(SessionBlock(2, 0)), policy);
        Assert.True(store.Contains(SessionBlock(1, 9)) && store.Contains(SessionBlock(3, 9)), policy);
    }

    [Fact]
    public void A_closed_session_that_asks_again_is_live_again()
    {
        // Session 2 is closed, then its id is used again (a server that closed too early, a client that reuses ids): its
        // new request opens it, so when session 4 arrives under recency, session 1, served longest ago, gives up blocks.
        const string policy = "agent:predict=false";
        using TieredKvStore store = AgentStore(_time, 30, AgentPolicyVariants.FromName(policy));
        ThreeSessionsTakeTurns(store, _time);

        store.Hint(2, SessionHint.Closed);
        Advance(5);
        SessionRequest(store, 2, 10);
        Advance(1);
        SessionRequest(store, 4, 5);

        Assert.All(Enumerable.Range(0, 10), i => Assert.True(store.Contains(SessionBlock(2, i)), $"the reopened session lost block {i}"));
        Assert.False(store.Contains(SessionBlock(1, 9)), policy);
    }

    [Fact]
    public void Blocks_a_closed_session_shares_with_a_live_one_stay()
    {
        // Sessions 1 and 2 share a 4-block head (a system prompt, a parent's prefix a sub-agent reused). Session 1
        // closes: its own 6 blocks go first, the head stays for session 2.
        using TieredKvStore store = AgentStore(_time, 20);
        SessionRequest(store, 1, 10, sharedHead: 4);
        Advance(1);
        SessionRequest(store, 2, 10, sharedHead: 4);
        Advance(1);
        store.Hint(1, SessionHint.Closed);
        SessionRequest(store, 3, 10);

        for (int i = 4; i < 10; i++)
        {
            Assert.False(store.Contains(SessionBlock(1, i)), $"closed block {i} kept");
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True(store.Contains(Key(900_000 + i)), $"shared head block {i} evicted");
        }

        Assert.True(store.Contains(SessionBlock(2, 9)) && store.Contains(SessionBlock(3, 9)));
    }

    [Fact]
    public void A_close_for_a_session_the_tier_does_not_hold_changes_nothing()
    {
        // The same requests with and without a close for session 42, never seen: the same blocks stay.
        var told = new FakeTimeProvider();
        var untold = new FakeTimeProvider();
        using TieredKvStore a = AgentStore(told, 20);
        using TieredKvStore b = AgentStore(untold, 20);
        for (int s = 1; s <= 3; s++)
        {
            SessionRequest(a, s, 10);
            SessionRequest(b, s, 10);
            a.Hint(42, SessionHint.Closed);
            told.Advance(TimeSpan.FromSeconds(1));
            untold.Advance(TimeSpan.FromSeconds(1));
        }

        for (int s = 1; s <= 3; s++)
        {
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(b.Contains(SessionBlock(s, i)), a.Contains(SessionBlock(s, i)));
            }
        }

        Assert.Equal(20, a.GetStatistics().Tiers[0].ResidentBlocks);
    }
}
