using KvTiering.Eviction;
using static KvTiering.Tests.Eviction.PolicyTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class ContinuumPolicyTests
{
    [Fact]
    public void A_tool_call_pin_holds_until_its_ttl_then_expires()
    {
        using var continuum = new TimedStore(EvictionPolicies.Continuum, 6);
        using var lru = new TimedStore(EvictionPolicy.Lru, 6);
        foreach (TimedStore s in new[] { continuum, lru })
        {
            Request(s.Store, 1, 0, 1, 2);
            s.Store.Hint(1, SessionHint.Paused); // cold-start TTL: 30 s
            s.Advance(10);
            for (int i = 10; i < 16; i++)
            {
                Put(s.Store, i, session: 100 + i);
            }
        }

        Assert.Equal([true, true, true], Resident(continuum.Store, 3));
        Assert.Equal([false, false, false], Resident(lru.Store, 3));

        continuum.Advance(21); // 31 s after the pin: expired
        for (int i = 20; i < 23; i++)
        {
            Put(continuum.Store, i, session: 100 + i);
        }

        Assert.Equal([false, false, false], Resident(continuum.Store, 3));
    }

    [Fact]
    public void An_end_of_turn_does_not_pin()
    {
        using var s = new TimedStore(EvictionPolicies.Continuum, 3);
        Request(s.Store, 1, 0, 1, 2);
        s.Store.Hint(1, SessionHint.AwaitingUser);
        s.Advance(1);
        Put(s.Store, 10, session: 2);
        Assert.False(s.Store.Contains(Store.StoreTestKit.Key(0))); // plain LRU: the least recent block went
    }

    [Fact]
    public void The_ttl_maximizes_the_expected_saving_over_the_tool_durations()
    {
        var chooser = new TtlChooser(reloadSeconds: 60, coldStartTtl: 30);
        Assert.Equal(30, chooser.Ttl);
        for (int i = 0; i < 32; i++)
        {
            chooser.Observe(i % 2 == 0 ? 2 : 1000); // half return in 2 s, half after 1000 s: only the short ones pay
        }

        Assert.Equal(2, chooser.Ttl);

        var slow = new TtlChooser(reloadSeconds: 1, coldStartTtl: 30);
        for (int i = 0; i < 32; i++)
        {
            slow.Observe(5); // a reload is worth 1 s of holding, a tool takes 5 s: never worth a pin
        }

        Assert.Equal(0, slow.Ttl);
    }
}
