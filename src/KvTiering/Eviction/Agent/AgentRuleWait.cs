namespace KvTiering.Eviction;

/// <summary>
/// A live session's expected wait by the rules (docs/policies/agent.md, Design, rules 2–20): past its usual gap the
/// expected remaining wait grows with the idle time (heavy-tailed gaps), a session seen once is on probation, and a
/// session paused on a tool or awaiting its user is read from the learned wait models. <see cref="AgentSessionRanking"/>
/// ranks the sessions by it; the shared segment, closed sessions and the oracle diagnostic are ranked there.
/// </summary>
internal sealed class AgentRuleWait
{
    /// <summary>An ended session's expected wait per second of silence: after every live session, before dead branches.</summary>
    private const double EndedAging = 100.0;

    /// <summary>Requests a session needs before its longest gap says when it has ended.</summary>
    private const int MinEndedRequests = 2;

    /// <summary>Waits a wait model has to have seen end before it ranks sessions.</summary>
    private const int MinWaits = AgentUserWaits.MinWaits;

    private readonly AgentPolicyOptions _options;
    private readonly AgentBlockLists _lists;
    private readonly AgentSessionRequests _requests;
    private readonly AgentWaitModel _toolWaits;
    private readonly AgentUserWaits _users;
    private readonly AgentReturnPredictor? _returns;

    public AgentRuleWait(AgentPolicyOptions options, AgentBlockLists lists, AgentSessionRequests requests)
    {
        _options = options;
        _lists = lists;
        _requests = requests;
        _toolWaits = requests.ToolWaits;
        _users = requests.Users;
        _returns = requests.Returns;
    }

    /// <summary>
    /// How long until the live (not closed) session <paramref name="s"/> is expected back, in seconds; unless
    /// <paramref name="predict"/>, its recency instead (the seconds since its oldest block was touched).
    /// </summary>
    public double Wait(ref AgentSession s, double now, bool predict)
    {
        byte state = s.State;
        if (state == AgentSessionState.AwaitingUser)
        {
            // Waiting on a person (minutes) or finished: ranked by the learned answer times (AgentUserWaits).
            return _users.Remaining(ref s, now);
        }

        double idle = now - s.LastRequest;
        if (!predict || !_options.PredictReturn)
        {
            // Recency: a session ranks by its oldest block, so its stale blocks go when LRU (tail first) would
            // evict them, not only once the session's latest request is the oldest.
            return s.Head >= 0 ? now - _lists.TouchedAt(s.Head) : idle;
        }

        double typical = _requests.Typical(ref s);
        double remaining = typical - idle;
        if (_options.EndedFactor > 0 && state == AgentSessionState.Normal && s.Requests > MinEndedRequests && idle > _options.EndedFactor * s.MaxGap)
        {
            // Silent for many times its own longest gap, with no hint since its request: the session has probably
            // ended (a per-session survival estimate, not a global TTL). It goes before every live session, longest
            // silent first. A hinted session's wait is read from the wait models instead.
            return EndedAging * idle;
        }

        // The learned predictor's median residual wait for the session's feature cell (AgentReturnPredictor), if on.
        bool paused = state == AgentSessionState.Paused;
        double learned = _returns is not null && (_options.LearnedReturn & (paused ? 2 : 1)) != 0
            ? _returns.Predict(ref s, now, paused, _options.LearnedHorizon) : double.NaN;
        if (!double.IsNaN(learned))
        {
            return learned;
        }

        if (paused)
        {
            // Waiting on a tool. Once tools have returned, the remaining wait is read from how long they took (from
            // the end of the response): most return in seconds, so a session paused a while is likely on a long run
            // (or a permission prompt) and goes before one that has just called its tool. Before that: expected back
            // within its usual gap, but a tool that never returns must still age out.
            return _options.ToolWaitModel && _toolWaits.Observed >= MinWaits
                ? _toolWaits.Remaining(now - s.HintAt)
                : Math.Max(Math.Min(remaining, typical * 0.5), _options.LindyFactor * idle);
        }

        return Math.Max(remaining, _options.LindyFactor * idle);
    }
}
