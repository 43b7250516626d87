using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class ReuseProbPolicyTests
{
    [Fact]
    public void A_block_of_a_category_that_comes_back_outlives_a_more_recent_one_that_does_not()
    {
        using var reuse = new TimedStore(EvictionPolicies.ReuseProb, 2);
        using var lru = new TimedStore(EvictionPolicy.Lru, 2);
        foreach (TimedStore s in new[] { reuse, lru })
        {
            for (int n = 0; n < 20; n++)
            {
                long tool = 100 + n, user = 200 + n;
                Put(s.Store, 1000 + n, session: tool);
                s.Store.Hint(tool, SessionHint.Paused); // tool calls come back in 5 s
                Put(s.Store, 2000 + n, session: user);
                s.Store.Hint(user, SessionHint.AwaitingUser); // users never do
                s.Advance(5);
                Put(s.Store, 1000 + n, session: tool);
                s.Advance(5);
            }

            Put(s.Store, 0, session: 1);
            s.Store.Hint(1, SessionHint.Paused);
            s.Advance(1);
            Put(s.Store, 1, session: 2);
            s.Store.Hint(2, SessionHint.AwaitingUser);
            s.Advance(1);
            Put(s.Store, 2, session: 3);
        }

        Assert.Equal([true, false, true], Resident(reuse.Store, 3));
        Assert.Equal([false, true, true], Resident(lru.Store, 3));
    }
}
