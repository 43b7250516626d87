using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// The ranking of sessions as victims (expected wait, the dead-branch rule, the cached victim) and the order in which
/// the victim gives up its blocks.
/// </summary>
internal sealed partial class AgentSessionTable
{
    /// <summary>
    /// How long until the session is expected back. Past its usual gap the expected remaining wait grows with the
    /// idle time (heavy-tailed gaps); a session seen once is on probation; hints override.
    /// </summary>
    private double RuleWait(int slot, double now, bool predict)
    {
        if (slot == Shared)
        {
            // Shared blocks compete by their own idle time: a system prompt in use stays, a dead sibling's prefix ages out.
            if (_sessions[Shared].Count > _sharedLimit)
            {
                return double.MaxValue / 2;
            }

            int head = _sessions[Shared].Head;
            if (head < 0)
            {
                return double.MinValue;
            }

            return _options.SharedAging * (now - _touch[head]);
        }

        byte state = _sessions[slot].State;
        if (state == Closed)
        {
            return double.MaxValue;
        }

        if (state == AwaitingUser)
        {
            // Waiting on a person (minutes) or finished: ranked by the learned answer times (AgentUserWaits).
            return _users.Remaining(ref _sessions[slot], now);
        }

        if (_options.OracleDiagnostic)
        {
            return _sessions[slot].OracleNext;
        }

        double idle = now - _sessions[slot].LastRequest;
        if (!predict || !_options.PredictReturn)
        {
            // Recency: a session ranks by its oldest block, so its stale blocks go when LRU (tail first) would
            // evict them, not only once the session's latest request is the oldest.
            return _sessions[slot].Head >= 0 ? now - _touch[_sessions[slot].Head] : idle;
        }

        double typical = double.IsNaN(_sessions[slot].Gap)
            ? (double.IsNaN(_globalGap) ? 1.0 : _globalGap) * _options.ProbationFactor
            : _sessions[slot].Gap;
        double remaining = typical - idle;
        if (_options.EndedFactor > 0 && state == Normal && _sessions[slot].Requests > MinEndedRequests && idle > _options.EndedFactor * _sessions[slot].MaxGap)
        {
            // Silent for many times its own longest gap, with no hint since its request: the session has probably
            // ended (a per-session survival estimate, not a global TTL). It goes before every live session, longest
            // silent first. A hinted session's wait is read from the wait models instead.
            return EndedAging * idle;
        }

        // The learned predictor's median residual wait for the session's feature cell (AgentReturnPredictor), if on.
        double learned = _returns is not null && (_options.LearnedReturn & (state == Paused ? 2 : 1)) != 0
            ? _returns.Predict(ref _sessions[slot], now, state == Paused, _options.LearnedHorizon) : double.NaN;
        if (!double.IsNaN(learned))
        {
            return learned;
        }

        if (state == Paused)
        {
            // Waiting on a tool. Once tools have returned, the remaining wait is read from how long they took (from
            // the end of the response): most return in seconds, so a session paused a while is likely on a long run
            // (or a permission prompt) and goes before one that has just called its tool. Before that: expected back
            // within its usual gap, but a tool that never returns must still age out.
            return _options.ToolWaitModel && _toolWaits.Observed >= MinWaits
                ? _toolWaits.Remaining(now - _sessions[slot].HintAt)
                : Math.Max(Math.Min(remaining, typical * 0.5), _options.LindyFactor * idle);
        }

        return Math.Max(remaining, _options.LindyFactor * idle);
    }

    /// <summary>
    /// How long until the session is expected back, as the rules rank it (<see cref="RuleWait"/>) or, for the kinds of
    /// session <see cref="AgentPolicyOptions.HitDensity"/> names, its seconds of space-time per hit within the horizon.
    /// </summary>
    private double ExpectedWait(int slot, double now, bool predict) =>
        _options.HitDensity == 0 ? RuleWait(slot, now, predict) : DensityWait(slot, now, predict);

    /// <summary>Hit density (rule 18, <see cref="AgentHitDensity.Wait"/>) where it ranks the session; the rules' wait elsewhere.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private double DensityWait(int slot, double now, bool predict)
    {
        double rule = RuleWait(slot, now, predict);
        byte state = _sessions[slot].State;
        bool predicted = predict && _options.PredictReturn && !_options.OracleDiagnostic && _options.EndedFactor <= 0 && _returns is null;
        return slot == Shared || state == Closed || (state != AwaitingUser && !predicted) ? rule
            : _density.Wait(ref _sessions[slot], rule, now, state == Paused, state == AwaitingUser, _options, _toolWaits, _users);
    }

    /// <summary>
    /// The session's rank as a victim: its expected wait, or, when its latest request skipped some of its blocks (a
    /// diverged tail, a compacted context), those blocks' own: they are dead unless the session is one that branches
    /// back, so they wait StaleAging × their idle time (only their idle time, as under LRU, for a session seen to
    /// come back to skipped blocks).
    /// </summary>
    private double Score(int slot, double now, bool predict)
    {
        double score = ExpectedWait(slot, now, predict);
        if (slot != Shared && _options.StaleAging > 0 && HasSkippedFront(slot))
        {
            double factor = _sessions[slot].Revives ? 1.0 : _options.StaleAging;
            score = Math.Max(score, factor * (now - _touch[_sessions[slot].Head]));
        }

        return score;
    }

    /// <summary>
    /// The session expected back last (or, while the miniatures favour recency, the one idle longest); cached per moment,
    /// since scores only change with time and touches.
    /// </summary>
    private int VictimSession(double now)
    {
        if (_victim >= 0 && (now - _victimNow) <= _options.RequestWindowSeconds && _sessions[_victim].Count > 0)
        {
            return _victim;
        }

        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int s = _slots.NextHolding(0); s >= 0; s = _slots.NextHolding(s + 1))
        {
            double score = Score(s, now, Predicting);
            if (score > bestScore)
            {
                bestScore = score;
                best = s;
            }
        }

        if (best > Shared && _options.LearnedHorizon)
        {
            _returns?.NoteVictimIdle(now - _sessions[best].LastTouch); // the tier's horizon (AgentReturnPredictor)
        }

        if (_options.HitDensity != 0)
        {
            _density.Tick(now, _tier.Capacity); // the eviction age (hit density's horizon)
        }

        _victim = best;
        _victimScore = bestScore;
        _victimNow = now;
        return best;
    }

    /// <summary>A touched session's score changed: it may now be the victim, or no longer be.</summary>
    private void Rescore(int slot, double now)
    {
        if (_victim < 0)
        {
            return;
        }

        if (slot == _victim)
        {
            _victim = -1;
            return;
        }

        double score = Score(slot, now, Predicting);
        if (score > _victimScore)
        {
            _victim = slot;
            _victimScore = score;
        }
    }

    /// <summary>
    /// Within a session: blocks the latest request did not touch go first, deepest of them first (an old branch is
    /// cut from its tip, never leaving an orphaned tail), then the latest request's blocks, deepest first.
    /// </summary>
    private int PickInSession(int slot)
    {
        // Each block given up counts towards the tier's eviction age while hit density ranks (AgentHitDensity).
        int handle = PickBlock(slot);
        if (handle >= 0 && _options.HitDensity != 0)
        {
            _density.NoteEviction();
        }

        return handle;
    }

    /// <summary>The block <see cref="PickInSession"/> gives up, or -1 when the session has none it may.</summary>
    private int PickBlock(int slot)
    {
        if (_anonymous is not null && slot != Shared && _sessions[slot].Id == 0)
        {
            // Blocks of no session: ARC's order (AgentAnonymousPool); what it cannot give up falls through below.
            int anonymous = _anonymous.SelectVictim();
            if (anonymous >= 0)
            {
                return anonymous;
            }
        }

        if (_options.TailFirst && (slot == Shared ? _options.SharedTailFirst && _sessions[Shared].Head >= 0 : HasStaleFront(slot)))
        {
            // The oldest stale request's blocks go first (recency between requests), deepest of them first (no
            // orphaned tail); a session-less trace thus degrades to LRU by request, tail first.
            int head = _sessions[slot].Head;
            double oldest = _touch[head];
            double latest = slot == Shared ? double.PositiveInfinity : _sessions[slot].LastRequest;
            int end = head;
            for (int n = _next[end]; n >= 0 && _touch[n] - oldest <= _options.RequestWindowSeconds && _touch[n] < latest; n = _next[end])
            {
                end = n;
            }

            for (int h = end; h >= 0; h = _prev[h])
            {
                if (_tier.IsEvictable(h))
                {
                    return h;
                }
            }
        }

        if (slot == Shared || !_options.TailFirst)
        {
            for (int h = _sessions[slot].Head; h >= 0; h = _next[h])
            {
                if (_tier.IsEvictable(h))
                {
                    return h;
                }
            }

            return -1;
        }

        for (int h = _sessions[slot].Tail; h >= 0; h = _prev[h])
        {
            if (_tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    /// <summary>The eviction age and the in-flight gaps' shape, for ranking by hit density (rules in docs/policies/agent.md).</summary>
    private readonly AgentHitDensity _density = new();

    /// <summary>An ended session's expected wait per second of silence: after every live session, before dead branches.</summary>
    private const double EndedAging = 100.0;

    /// <summary>Requests a session needs before its longest gap says when it has ended.</summary>
    private const int MinEndedRequests = 2;

    /// <summary>Waits a wait model has to have seen end before it ranks sessions.</summary>
    private const int MinWaits = AgentUserWaits.MinWaits;

    private bool HasStaleFront(int slot)
    {
        int head = _sessions[slot].Head;
        return head >= 0 && _touch[head] < _sessions[slot].LastRequest;
    }
}
