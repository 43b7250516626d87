using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class TtlPinPolicyTests
{
    private static void Flood(TimedStore s, int first, int count)
    {
        for (int i = first; i < first + count; i++)
        {
            Put(s.Store, i, session: 1000 + i);
        }
    }

    [Fact]
    public void A_pin_beyond_the_budget_is_refused()
    {
        using var s = new TimedStore(EvictionPolicies.TtlPin, 10); // budget 6 blocks
        Request(s.Store, 1, 0, 1, 2, 3);
        Request(s.Store, 2, 10, 11, 12, 13);
        s.Store.Hint(1, SessionHint.Paused);   // 4 pinned
        s.Store.Hint(2, SessionHint.AwaitingUser); // 8 > 6: refused
        s.Advance(1);
        Flood(s, 100, 10);

        Assert.Equal([true, true, true, true], Resident(s.Store, 4));
        Assert.False(s.Store.Contains(Store.StoreTestKit.Key(10)));
    }

    [Fact]
    public void A_pinned_session_that_outgrows_the_budget_loses_its_pin()
    {
        using var s = new TimedStore(EvictionPolicies.TtlPin, 10);
        Request(s.Store, 1, 0, 1, 2, 3);
        s.Store.Hint(1, SessionHint.Paused);
        Request(s.Store, 1, 0, 1, 2, 3, 4, 5, 6); // 7 blocks: the pinned share would pass 6
        s.Advance(1);
        Flood(s, 100, 10);

        Assert.Equal(new bool[7], Resident(s.Store, 7));
    }

    [Fact]
    public void A_pin_expires_at_its_ttl_and_a_hit_refreshes_it()
    {
        using var s = new TimedStore(EvictionPolicies.TtlPin, 10);
        Request(s.Store, 1, 0, 1, 2);
        Request(s.Store, 2, 10, 11, 12);
        s.Store.Hint(1, SessionHint.Paused);
        s.Store.Hint(2, SessionHint.Paused);
        s.Advance(200);
        Assert.Equal(3, Request(s.Store, 1, 0, 1, 2)); // a hit: session 1 pinned until 500 s
        s.Advance(200); // 400 s: session 2's pin (to 300 s) has run out
        Flood(s, 100, 10);

        Assert.Equal([true, true, true], Resident(s.Store, 3));
        Assert.False(s.Store.Contains(Store.StoreTestKit.Key(10)));

        s.Advance(101); // 501 s
        Flood(s, 200, 10);
        Assert.Equal([false, false, false], Resident(s.Store, 3));
    }
}
