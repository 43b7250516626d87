namespace KvTiering.Eviction;

/// <summary>
/// Where the requests of each session of <see cref="AgentSessionTable"/> start, and what their gaps teach: the
/// session's typical and longest gap, the gap of all sessions, and the wait models that learn from each return (tools,
/// users, the learned return predictor, hit density's gap shape), which <see cref="AgentSessionRanking"/> reads.
/// </summary>
internal sealed class AgentSessionRequests
{
    private readonly AgentPolicyOptions _options;
    private double _globalGap = double.NaN;

    public AgentSessionRequests(AgentPolicyOptions options)
    {
        _options = options;
        Users = new AgentUserWaits(options);
        Returns = options.LearnedReturn > 0 ? new AgentReturnPredictor(options.LearnedUnendedFactor, options.LearnedOwnScale) : null;
    }

    /// <summary>How long tools take, from the end of the response that called them.</summary>
    public AgentWaitModel ToolWaits { get; } = new();

    /// <summary>How long users take to answer (rules 8, 12-15).</summary>
    public AgentUserWaits Users { get; }

    /// <summary>The learned return-time predictor (<see cref="AgentPolicyOptions.LearnedReturn"/>), or null.</summary>
    public AgentReturnPredictor? Returns { get; }

    /// <summary>The eviction age and the in-flight gaps' shape, for ranking by hit density (rules in docs/policies/agent.md).</summary>
    public AgentHitDensity Density { get; } = new();

    /// <summary>The typical gap between requests over all sessions (NaN before the first gap).</summary>
    public double GlobalGap => _globalGap;

    /// <summary>The session's typical gap: its own, or, on probation, the probation factor × the global typical gap.</summary>
    public double Typical(ref AgentSession s) =>
        double.IsNaN(s.Gap) ? (double.IsNaN(_globalGap) ? 1.0 : _globalGap) * _options.ProbationFactor : s.Gap;

    /// <summary>A touch of the session at <paramref name="now"/>: past the request window it starts a new request.</summary>
    public void Register(ref AgentSession s, double now)
    {
        if (now - s.LastTouch > _options.RequestWindowSeconds)
        {
            double gap = now - s.LastRequest;
            double a = _options.GapSmoothing;
            s.MaxGap = Math.Max(s.MaxGap, gap);
            if (_options.HitDensity != 0)
            {
                Density.ObserveGap(gap, s.Gap); // the shape of gaps, for hit density (no-op before a typical gap)
            }

            Returns?.ObserveReturn(ref s, now, s.State == AgentSessionState.Paused);
            if (s.State == AgentSessionState.Paused)
            {
                // The tool returned: learn how long tools take, from the end of the response that called it.
                ToolWaits.Observe(now - s.HintAt);
            }

            if (_options.GapClip > 0 && !double.IsNaN(s.Gap))
            {
                // A long pause (the user was away) says little about the next gap: bursts of tool calls follow it.
                gap = Math.Min(gap, _options.GapClip * s.Gap);
            }

            if (_options.GeometricGaps)
            {
                // Gaps are heavy-tailed: average their logarithms so one long pause does not swamp the estimate.
                double logGap = Math.Log(Math.Max(gap, 1e-3));
                s.Gap = double.IsNaN(s.Gap) ? gap : Math.Exp((a * logGap) + ((1 - a) * Math.Log(s.Gap)));
                _globalGap = double.IsNaN(_globalGap) ? gap : Math.Exp((0.05 * logGap) + (0.95 * Math.Log(_globalGap)));
            }
            else
            {
                s.Gap = double.IsNaN(s.Gap) ? gap : (a * gap) + ((1 - a) * s.Gap);
                _globalGap = double.IsNaN(_globalGap) ? gap : (0.05 * gap) + (0.95 * _globalGap);
            }

            if (s.State == AgentSessionState.AwaitingUser)
            {
                Users.Answered(ref s, now); // the user answered: learn how long users take
            }

            s.PrevRequest = s.LastRequest;
            s.LastRequest = now;
            s.PrevAdded = s.RequestDepth - Math.Max(s.PrevDepth, -1);
            s.PrevDepth = s.RequestDepth;
            s.RequestDepth = -1;
            s.RequestTop = int.MaxValue;
            s.Requests++;
            s.AfterUser = s.State == AgentSessionState.AwaitingUser; // this request answers a user's message
            s.State = AgentSessionState.Normal; // a closed session's id used again opens it again: it is no longer over
        }

        s.LastTouch = now;
    }
}
