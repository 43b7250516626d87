using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>Ranking sessions by hit density (LHD; <c>agent:density=N</c>, docs/policies/agent.md, rule 18; agent-research-log.md, Session 16).</summary>
public sealed class AgentHitDensityTests
{
    [Fact]
    public void A_wait_sure_to_end_within_the_horizon_costs_its_remaining_wait_per_hit()
    {
        var model = new AgentWaitModel();
        for (int i = 0; i < 50; i++)
        {
            model.Observe(100);
        }

        Assert.InRange(model.TimePerHit(0, 1000), 85, 115); // one hit after ~100 s (buckets are 25% wide)
        Assert.InRange(model.TimePerHit(40, 1000), 45, 75);
        Assert.True(double.IsNaN(model.TimePerHit(200, 1000)), "past every wait the model knows nothing");
    }

    [Fact]
    public void A_return_later_than_the_horizon_is_worth_nothing()
    {
        // Every wait ends after ~500 s: over a 1,000 s horizon that is one hit per ~500 s, as the median says; over a
        // 100 s horizon no wait ends in time, so the session holds its blocks for nothing (ranked last but finite).
        var model = new AgentWaitModel();
        for (int i = 0; i < 50; i++)
        {
            model.Observe(500);
        }

        Assert.InRange(model.Remaining(0), 400, 600);
        Assert.InRange(model.TimePerHit(0, 1000), 400, 600);
        Assert.True(model.TimePerHit(0, 100) > 50_000, $"{model.TimePerHit(0, 100)} s per hit");
    }

    [Fact]
    public void A_mixture_costs_more_per_hit_than_its_median_says_and_its_value_goes_with_its_quick_mass()
    {
        // Six waits in ten end after 2 s, four never: the median residual at first is 2 s, but per hit over a 100 s
        // horizon the session holds its blocks ~(0.6 × 2 + 0.4 × 100) / 0.6 ≈ 69 s; once the quick mass has passed,
        // nothing is left to hit within the horizon.
        var model = new AgentWaitModel();
        for (int i = 0; i < 60; i++)
        {
            model.Observe(2);
        }

        for (int i = 0; i < 40; i++)
        {
            model.ObserveUnended();
        }

        Assert.InRange(model.Remaining(0), 0.5, 3);
        Assert.InRange(model.TimePerHit(0, 100), 55, 80);
        Assert.True(model.TimePerHit(10, 100) > 50_000, $"{model.TimePerHit(10, 100)} s per hit");
    }

    [Fact]
    public void By_the_median_a_wait_keeps_its_rank_when_sure_to_end_in_time_and_is_pushed_out_when_not()
    {
        // Bit 8: the median remaining wait per chance of ending within the horizon. Six waits in ten end after 2 s,
        // four never: just begun, the median says 2 s and the chance within 100 s is 0.6, so ~3.3 s; after 10 s
        // nothing is left to end in time, so the wait is pushed far out.
        var model = new AgentWaitModel();
        for (int i = 0; i < 60; i++)
        {
            model.Observe(2);
        }

        for (int i = 0; i < 40; i++)
        {
            model.ObserveUnended();
        }

        Assert.InRange(model.Chance(0, 100), 0.59, 0.61);
        Assert.InRange(AgentHitDensity.PerChance(model.Remaining(0), model.Chance(0, 100)), 0.8, 5);
        Assert.Equal(0, model.Chance(10, 100), 9);
        Assert.True(AgentHitDensity.PerChance(model.Remaining(10), model.Chance(10, 100)) > model.Remaining(10) * 999);
        Assert.True(double.IsNaN(AgentHitDensity.PerChance(5, new AgentWaitModel().Chance(0, 100))), "an empty model knows nothing");
    }

    [Fact]
    public void The_eviction_age_is_the_capacity_over_the_eviction_rate()
    {
        var density = new AgentHitDensity();
        density.Tick(0, 100);
        Assert.Equal(0, density.EvictionAge);
        for (int i = 0; i < 10; i++)
        {
            density.NoteEviction();
        }

        density.Tick(5, 100);
        Assert.Equal(0, density.EvictionAge); // under a quarter of the capacity: no sample yet
        for (int i = 0; i < 40; i++)
        {
            density.NoteEviction();
        }

        density.Tick(10, 100);
        Assert.Equal(20, density.EvictionAge, 6); // 100 blocks ÷ 50 evictions per 10 s
    }

    [Fact]
    public void A_session_in_flight_is_ranked_by_the_learned_gap_shape_at_its_own_pace()
    {
        // Every session comes back after exactly its typical gap: a session whose gap is 10 s costs ~10 s per hit when
        // just served, one whose gap is 100 s ~100 s, over a horizon longer than both.
        var density = new AgentHitDensity();
        for (int i = 0; i < 20; i++)
        {
            density.ObserveGap(i % 2 == 0 ? 10 : 100, i % 2 == 0 ? 10 : 100);
        }

        Assert.InRange(density.InFlight(0, 10, 1000), 8.5, 11.5);
        Assert.InRange(density.InFlight(0, 100, 1000), 85, 115);
        Assert.True(double.IsNaN(new AgentHitDensity().InFlight(0, 10, 1000)), "before any gap has ended");
    }

    [Theory]
    [InlineData("agent:mini=false+density=2+densityhorizon=4", true)]
    [InlineData("agent:mini=false+density=2+densityhorizon=1", false)] // over 20 s the 2 s mass is most of its worth: ~15 s per hit
    [InlineData("agent:mini=false+density=10+densityhorizon=4", false)] // by the median: 2 s ÷ 0.6 ≈ 3 s, still before 20 s
    [InlineData("agent:mini=false", false)]
    public void A_paused_session_whose_tool_may_take_past_the_horizon_goes_before_a_steady_one(string policy, bool density)
    {
        // Tools return in 2 s six times in ten and after 1,000 s otherwise. Session 1 has just called its tool: its
        // median remaining wait is 2 s, so by the median it stays and session 2 (in flight, back every 20 s) goes. Per
        // hit within the horizon (4 × an eviction age of 20 s: closed one-off sessions of 10 blocks every 10 s through
        // a 20-block tier), session 1 holds its blocks ~55 s, session 2 ~20 s: with hit density session 1 goes.
        using var timed = new TimedStore(AgentPolicyVariants.FromName(policy), 20);
        TieredKvStore store = timed.Store;
        TeachToolsThenTurnOver(timed, slowToolSeconds: 1000, steadyEvery: 2);

        SessionRequest(store, 2, 10);
        SessionRequest(store, 1, 10);
        store.Hint(1, SessionHint.Paused);
        timed.Advance(1);
        SessionRequest(store, 3, 10);

        Assert.Equal(density, !store.Contains(SessionBlock(1, 9)));
        Assert.Equal(density, store.Contains(SessionBlock(2, 9)));
        Assert.True(store.Contains(SessionBlock(3, 9)));
    }

    [Theory]
    [InlineData("agent:mini=false+density=10", true)]
    [InlineData("agent:mini=false+density=2", true)]
    [InlineData("agent:mini=false", false)]
    public void A_paused_session_not_back_within_the_horizon_goes_before_one_the_median_would_give_up(string policy, bool density)
    {
        // Tools return in 2 s six times in ten and after 50 s otherwise. Session 1 has waited 5 s on its tool: the
        // median says it is back in ~45 s, before session 2 (in flight, back every 100 s, served 25 s ago: ~75 s), so
        // by the median session 2 goes. Over the tier's horizon (an eviction age of 20 s) session 1 cannot be back in
        // time: by hit density, or by the median per chance of a return within the horizon, session 1 goes.
        using var timed = new TimedStore(AgentPolicyVariants.FromName(policy), 20);
        TieredKvStore store = timed.Store;
        TeachToolsThenTurnOver(timed, slowToolSeconds: 50, steadyEvery: 10);

        SessionRequest(store, 1, 10);
        store.Hint(1, SessionHint.Paused);
        timed.Advance(5);
        SessionRequest(store, 3, 10);

        Assert.Equal(density, !store.Contains(SessionBlock(1, 9)));
        Assert.Equal(density, store.Contains(SessionBlock(2, 9)));
        Assert.True(store.Contains(SessionBlock(3, 9)));
    }

    [Fact]
    public void With_bit_16_sessions_in_flight_are_ranked_by_density_only_once_the_server_sends_hints()
    {
        // Sessions come back after exactly their gap; the eviction age is 20 s. A session in flight with a 100 s gap
        // cannot be back within the horizon: by the median form it is pushed out, but with bit 16 only once a hint has
        // come (a server that sends none keeps the rules' rank for sessions in flight).
        var density = new AgentHitDensity();
        for (int i = 0; i < 20; i++)
        {
            density.ObserveGap(10, 10);
        }

        density.Tick(0, 100);
        for (int i = 0; i < 50; i++)
        {
            density.NoteEviction();
        }

        density.Tick(10, 100);
        var options = new AgentPolicyOptions { HitDensity = 1 | 8 | 16 };
        var session = new AgentSession { Gap = 100, LastRequest = 0 };
        var tools = new AgentWaitModel();
        var users = new AgentUserWaits(options);
        Assert.Equal(100, density.Wait(ref session, 100, 0, paused: false, awaitingUser: false, options, tools, users));
        density.NoteHint();
        Assert.True(density.Wait(ref session, 100, 0, paused: false, awaitingUser: false, options, tools, users) > 99_000);
        Assert.True(new AgentHitDensity().Wait(ref session, 100, 0, false, false, options with { HitDensity = 9 }, tools, users) == 100,
            "before any eviction there is no horizon: the rules' wait");
    }

    [Fact]
    public void The_settings_are_parsed_and_checked()
    {
        Assert.Equal("agent:density=7+densityhorizon=0.5", AgentPolicyVariants.FromName("agent:density=7+densityhorizon=0.5").Name);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:density=32"));
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:density=1.5"));
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:densityhorizon=0"));
    }

    /// <summary>
    /// Tools return in 2 s six times in ten and after <paramref name="slowToolSeconds"/> otherwise (a closed session 9
    /// teaches it); then closed one-off sessions of 10 blocks every 10 s turn the 20-block tier over (an eviction age
    /// of 20 s) while session 2 comes back every <paramref name="steadyEvery"/> of them.
    /// </summary>
    private static void TeachToolsThenTurnOver(TimedStore timed, double slowToolSeconds, int steadyEvery)
    {
        TieredKvStore store = timed.Store;
        for (int i = 0; i < 11; i++)
        {
            SessionRequest(store, 9, 1);
            store.Hint(9, SessionHint.Paused);
            timed.Advance(i < 6 ? 2 : slowToolSeconds);
        }

        store.Hint(9, SessionHint.Closed);
        for (int i = 0; i < 12; i++)
        {
            if (i % steadyEvery == 0)
            {
                SessionRequest(store, 2, 10);
            }

            SessionRequest(store, 100 + i, 10);
            store.Hint(100 + i, SessionHint.Closed);
            timed.Advance(10);
        }
    }
}
