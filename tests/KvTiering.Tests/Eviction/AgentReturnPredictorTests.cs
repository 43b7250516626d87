using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.AgentTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The agent policy's learned return-time predictor (docs/policies/agent.md, rule 17): <c>agent:learned=N</c>.</summary>
public sealed class AgentReturnPredictorTests
{
    private static readonly int s_quick = AgentReturnPredictor.Cell(false, false, 3, 5, 5, 100);
    private static readonly int s_slow = AgentReturnPredictor.Cell(false, false, 3, 5, 50, 100);

    [Fact]
    public void Each_cell_learns_its_own_waits_and_predicts_only_once_it_has_enough()
    {
        var predictor = new AgentReturnPredictor(unendedFactor: 0, ownScale: false);
        Assert.NotEqual(s_quick, s_slow);
        for (int i = 0; i < AgentReturnPredictor.MinWaits - 1; i++)
        {
            predictor.Observe(s_quick, 2);
        }

        Assert.True(double.IsNaN(predictor.Remaining(s_quick, 0)), "seven waits are too few to predict from");
        predictor.Observe(s_quick, 2);
        for (int i = 0; i < AgentReturnPredictor.MinWaits; i++)
        {
            predictor.Observe(s_slow, 300);
        }

        Assert.InRange(predictor.Remaining(s_quick, 0), 1.5, 2.5);
        Assert.InRange(predictor.Remaining(s_slow, 0), 240, 360);
        Assert.InRange(predictor.Remaining(s_slow, 100), 140, 260); // what is left of a 300 s wait after 100 s
    }

    [Fact]
    public void A_cell_with_too_few_waits_backs_off_to_its_kind_and_gap_and_never_to_another_kind()
    {
        var predictor = new AgentReturnPredictor(unendedFactor: 0, ownScale: false);
        for (int i = 0; i < AgentReturnPredictor.MinWaits; i++)
        {
            predictor.Observe(s_slow, 300);
        }

        int deeper = AgentReturnPredictor.Cell(false, false, 3, 40, 50, 5000); // other turn count and depth: same kind and gap
        int otherGap = AgentReturnPredictor.Cell(false, false, 1000, 5, 50, 100);
        int paused = AgentReturnPredictor.Cell(true, false, 3, 5, 50, 100);
        Assert.InRange(predictor.Remaining(deeper, 0), 240, 360);
        Assert.InRange(predictor.Remaining(otherGap, 0), 240, 360); // the kind's model, all it has
        Assert.True(double.IsNaN(predictor.Remaining(paused, 0)), "a tool wait is not predicted from requests' gaps");
    }

    [Fact]
    public void An_overdue_wait_counts_as_one_that_may_never_end_until_the_session_returns()
    {
        var predictor = new AgentReturnPredictor(unendedFactor: 10, ownScale: false);
        for (int i = 0; i < AgentReturnPredictor.MinWaits; i++)
        {
            predictor.Observe(s_quick, 2);
        }

        var session = new AgentSession { Gap = 3, Requests = 5, PrevAdded = 5, PrevDepth = 99, LastRequest = 0, HintAt = 0 };
        double before = predictor.Remaining(s_quick, 0);
        Assert.InRange(predictor.Predict(ref session, 10, paused: false), 9, 11); // past every wait: the time waited
        Assert.False(session.ReturnUnended, "10 s is five medians, not ten");
        predictor.Predict(ref session, 30, paused: false);
        Assert.True(session.ReturnUnended);
        Assert.True(predictor.Remaining(s_quick, 0) > before, "a never-ending wait lengthens the median");
        predictor.ObserveReturn(ref session, 40, paused: false);
        Assert.False(session.ReturnUnended);
        Assert.InRange(predictor.Remaining(s_quick, 0), 1.5, 2.5); // retracted; the 40 s wait now counts once
    }

    [Fact]
    public void Over_a_horizon_a_session_unlikely_to_return_within_it_ranks_far_later()
    {
        var predictor = new AgentReturnPredictor(unendedFactor: 0, ownScale: false);
        for (int i = 0; i < AgentReturnPredictor.MinWaits; i++)
        {
            predictor.Observe(s_quick, 2);
            predictor.Observe(s_slow, 300);
        }

        var quick = new AgentSession { Gap = 3, Requests = 5, PrevAdded = 5, PrevDepth = 99 };
        var slow = new AgentSession { Gap = 3, Requests = 5, PrevAdded = 50, PrevDepth = 99 };
        predictor.NoteVictimIdle(60);
        Assert.Equal(60, predictor.Predict(ref quick, 0.5, paused: false, overHorizon: true), 6); // sure to return: the horizon
        Assert.True(predictor.Predict(ref slow, 0.5, paused: false, overHorizon: true) > 1000, "no 300 s wait ends within 60 s");
        predictor.NoteVictimIdle(1060);
        Assert.Equal(70, predictor.Predict(ref quick, 0.5, paused: false, overHorizon: true), 6); // the horizon follows victims' idle time
    }

    [Theory]
    [InlineData("agent:mini=false+learned=1+learnedunended=0", true)]
    [InlineData("agent:mini=false", false)]
    public void A_request_of_the_kind_followed_by_long_waits_goes_though_its_session_was_served_last(string policy, bool learned)
    {
        // Twelve sessions teach the pattern: requests add 20, 50, 5, 50, 5, 50 blocks, 2, 300, 2, 300, 2 s apart, so
        // from the fourth request on, one whose predecessor added 1-9 blocks is followed by a 300 s wait and one whose
        // predecessor added 10-99 by a 2 s wait. Then A sends its fourth request (a long wait follows) and B, 20 s
        // before, its fifth (a short one). By gaps alone (rule 2) B, idle longer, goes when C arrives; the predictor
        // expects B back any moment (past every wait of its kind, it ranks by the time waited) and A in minutes.
        using var timed = new TimedStore(AgentPolicyVariants.FromName(policy), 260);
        TieredKvStore store = timed.Store;
        double now = 0;
        var events = new List<(double At, int Session, int Request)>();
        for (int s = 0; s < 12; s++)
        {
            Schedule(events, 100 + s, s * 1000.0, 6);
        }

        Schedule(events, 1, 30_000 - 304, 4);   // A: its request 3 (adds 50) at 30,000 s
        Schedule(events, 2, 30_000 - 20 - 604, 5); // B: its request 4 (adds 5) at 29,980 s
        foreach ((double at, int session, int request) in events.OrderBy(e => e.At))
        {
            timed.Advance(at - now);
            now = at;
            SessionRequest(store, session, Depth(request + 1));
        }

        timed.Advance(10);
        SessionRequest(store, 3, 10);
        Assert.Equal(learned, !store.Contains(SessionBlock(1, Depth(4) - 1)));
        Assert.Equal(learned, store.Contains(SessionBlock(2, Depth(5) - 1)));
        Assert.True(store.Contains(SessionBlock(1, 0)) && store.Contains(SessionBlock(2, 0)), "the victim gives up its deepest blocks first");
    }

    [Fact]
    public void The_settings_are_parsed_and_checked()
    {
        Assert.Equal("agent:learned=3+learnedhorizon=true", AgentPolicyVariants.FromName("agent:learned=3+learnedhorizon=true").Name);
        Assert.Contains("'learned=4'", Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:learned=4")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AgentPolicyVariants.FromName("agent:learnedscale=maybe"));
    }

    private static readonly int[] s_adds = [20, 50, 5, 50, 5, 50];
    private static readonly double[] s_waits = [2, 300, 2, 300, 2];

    private static int Depth(int requests) => s_adds.Take(requests).Sum();

    private static void Schedule(List<(double, int, int)> events, int session, double start, int requests)
    {
        double at = start;
        for (int k = 0; k < requests; k++)
        {
            events.Add((at, session, k));
            at += k < s_waits.Length ? s_waits[k] : 0;
        }
    }
}
