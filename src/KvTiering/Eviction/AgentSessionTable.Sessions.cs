namespace KvTiering.Eviction;

internal sealed partial class AgentSessionTable
{
    /// <summary>The slot of a session, registering it (and any new request of it) at time <paramref name="now"/>.</summary>
    private int SlotFor(long session, double now)
    {
        int slot = LookUp(session, now);
        Register(slot, now);
        return slot;
    }

    /// <summary>The slot of a session, creating it (its first request starts at <paramref name="now"/>) if it is new.</summary>
    private int LookUp(long session, double now)
    {
        if (_slotOf.TryGetValue(session, out int slot))
        {
            return slot;
        }

        slot = _freeTop > 0 ? _freeSlots[--_freeTop] : NewSlotOrRecycle();
        _slotOf[session] = slot;
        _sessionId[slot] = session;
        _head[slot] = _tail[slot] = -1;
        _requestHead[slot] = -1;
        _requestDepth[slot] = -1;
        _count[slot] = 0;
        _lastRequest[slot] = now;
        _prevRequest[slot] = double.NegativeInfinity;
        _revives[slot] = false;
        _duelWith[slot] = -1;
        _lastTouch[slot] = now;
        _gap[slot] = double.NaN;
        _requests[slot] = 1;
        _state[slot] = Normal;
        return slot;
    }

    /// <summary>A touch of the session at <paramref name="now"/>: past the request window it starts a new request.</summary>
    private void Register(int slot, double now)
    {
        if (now - _lastTouch[slot] > _options.RequestWindowSeconds)
        {
            double gap = now - _lastRequest[slot];
            double a = _options.GapSmoothing;
            if (_options.GapClip > 0 && !double.IsNaN(_gap[slot]))
            {
                // A long pause (the user was away) says little about the next gap: bursts of tool calls follow it.
                gap = Math.Min(gap, _options.GapClip * _gap[slot]);
            }

            if (_options.GeometricGaps)
            {
                // Gaps are heavy-tailed: average their logarithms so one long pause does not swamp the estimate.
                double logGap = Math.Log(Math.Max(gap, 1e-3));
                _gap[slot] = double.IsNaN(_gap[slot]) ? gap : Math.Exp((a * logGap) + ((1 - a) * Math.Log(_gap[slot])));
                _globalGap = double.IsNaN(_globalGap) ? gap : Math.Exp((0.05 * logGap) + (0.95 * Math.Log(_globalGap)));
            }
            else
            {
                _gap[slot] = double.IsNaN(_gap[slot]) ? gap : (a * gap) + ((1 - a) * _gap[slot]);
                _globalGap = double.IsNaN(_globalGap) ? gap : (0.05 * gap) + (0.95 * _globalGap);
            }

            ResolveDuel(slot);
            if (_state[slot] == AwaitingUser)
            {
                // The user answered: learn how long users take (geometric average, heavy tails).
                double logWait = Math.Log(Math.Max(now - _lastRequest[slot], 1e-3));
                _userGap = double.IsNaN(_userGap) ? Math.Exp(logWait) : Math.Exp((0.05 * logWait) + (0.95 * Math.Log(_userGap)));
            }

            _prevRequest[slot] = _lastRequest[slot];
            _lastRequest[slot] = now;
            _requestHead[slot] = -1;
            _requestDepth[slot] = -1;
            _requests[slot]++;
            if (_state[slot] != Closed)
            {
                _state[slot] = Normal;
            }
        }

        _lastTouch[slot] = now;
    }

    /// <summary>
    /// A new session slot. Sessions stay tracked after their blocks are gone (so a return is observed as a gap, not
    /// as a new session) up to a bound; past it the longest-idle empty session is forgotten.
    /// </summary>
    private int NewSlotOrRecycle()
    {
        if (_slotCount < MaxTrackedSessions)
        {
            return NewSlot();
        }

        int oldest = -1;
        for (int s = 1; s < _slotCount; s++)
        {
            if (_count[s] == 0 && (oldest < 0 || _lastRequest[s] < _lastRequest[oldest]))
            {
                oldest = s;
            }
        }

        if (oldest < 0)
        {
            return NewSlot();
        }

        _slotOf.Remove(_sessionId[oldest]);
        ForgetBurst(oldest);
        EndDuel(oldest);
        return oldest;
    }

    private int NewSlot()
    {
        if (_slotCount == _sessionId.Length)
        {
            int size = _slotCount * 2;
            Array.Resize(ref _sessionId, size);
            Array.Resize(ref _head, size);
            Array.Resize(ref _tail, size);
            Array.Resize(ref _count, size);
            Array.Resize(ref _lastRequest, size);
            Array.Resize(ref _lastTouch, size);
            Array.Resize(ref _gap, size);
            Array.Resize(ref _requests, size);
            Array.Resize(ref _state, size);
            Array.Resize(ref _oracleNext, size);
            Array.Resize(ref _requestHead, size);
            Array.Resize(ref _prevRequest, size);
            Array.Resize(ref _revives, size);
            Array.Resize(ref _requestDepth, size);
            Array.Resize(ref _duelWith, size);
            Array.Resize(ref _duelRole, size);
            Array.Resize(ref _duelBlocks, size);
            Array.Resize(ref _freeSlots, size);
        }

        return _slotCount++;
    }

    /// <summary>A session with no blocks left is forgotten, so memory stays bounded by the sessions the tier holds.</summary>
    private void Release(int slot)
    {
        _slotOf.Remove(_sessionId[slot]);
        ForgetBurst(slot);
        EndDuel(slot);
        _freeSlots[_freeTop++] = slot;
        if (slot == _victim)
        {
            _victim = -1;
        }
    }

    /// <summary>
    /// How long until the session is expected back. Past its usual gap the expected remaining wait grows with the
    /// idle time (heavy-tailed gaps); a session seen once is on probation; hints override.
    /// </summary>
    private double ExpectedWait(int slot, double now, bool predict)
    {
        if (slot == Shared)
        {
            // Shared blocks compete by their own idle time: a system prompt in use stays, a dead sibling's prefix ages out.
            if (_count[Shared] > _sharedLimit)
            {
                return double.MaxValue / 2;
            }

            int head = _head[Shared];
            if (head < 0)
            {
                return double.MinValue;
            }

            return _options.SharedAging * (now - _touch[head]);
        }

        byte state = _state[slot];
        if (state == Closed)
        {
            return double.MaxValue;
        }

        if (state == AwaitingUser)
        {
            // Waiting on a person (minutes) or finished. Once some user has answered, the typical answer time is
            // known and the session is ranked by it like any gap (a large tier keeps a user who answers in time);
            // before that, these go first after closed sessions, longest idle first.
            double waited = now - _lastRequest[slot];
            return double.IsNaN(_userGap) || !_options.LearnUserGap
                ? 1e12 + waited
                : Math.Max(_userGap - waited, _options.LindyFactor * waited);
        }

        if (_options.OracleDiagnostic)
        {
            return _oracleNext[slot];
        }

        double idle = now - _lastRequest[slot];
        if (!predict || !_options.PredictReturn)
        {
            return idle;
        }

        double typical = double.IsNaN(_gap[slot])
            ? (double.IsNaN(_globalGap) ? 1.0 : _globalGap) * _options.ProbationFactor
            : _gap[slot];
        double remaining = typical - idle;
        if (state == Paused)
        {
            // Waiting on a tool: expected back within its usual gap, but a tool that never returns must still age out.
            return Math.Max(Math.Min(remaining, typical * 0.5), _options.LindyFactor * idle);
        }

        return Math.Max(remaining, _options.LindyFactor * idle);
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
            double factor = _revives[slot] ? 1.0 : _options.StaleAging;
            score = Math.Max(score, factor * (now - _touch[_head[slot]]));
        }

        return score;
    }

    /// <summary>
    /// The session expected back last (or, while the duel favours recency, the one idle longest); cached per moment,
    /// since scores only change with time and touches.
    /// </summary>
    private int VictimSession(double now)
    {
        if (_victim >= 0 && (now - _victimNow) <= _options.RequestWindowSeconds && _count[_victim] > 0)
        {
            return _victim;
        }

        bool duel = Dueling;
        int best = -1, bestOther = -1;
        double bestScore = double.NegativeInfinity, bestOtherScore = double.NegativeInfinity;
        for (int s = 0; s < _slotCount; s++)
        {
            if (_count[s] == 0)
            {
                continue;
            }

            double score = Score(s, now, _predict);
            if (score > bestScore)
            {
                bestScore = score;
                best = s;
            }

            if (duel)
            {
                double other = Score(s, now, !_predict);
                if (other > bestOtherScore)
                {
                    bestOtherScore = other;
                    bestOther = s;
                }
            }
        }

        if (duel && best > Shared && bestOther > Shared && best != bestOther)
        {
            StartDuel(predictPick: _predict ? best : bestOther, recencyPick: _predict ? bestOther : best);
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

        double score = Score(slot, now, _predict);
        if (score > _victimScore)
        {
            _victim = slot;
            _victimScore = score;
        }
    }

    /// <summary>
    /// Whether the session's oldest blocks were skipped by its latest request: untouched by it, though it has gone as
    /// deep as they are (it took another branch). A shorter request, or one still in progress, skips nothing yet.
    /// </summary>
    private bool HasSkippedFront(int slot)
    {
        int head = _head[slot];
        return head >= 0 && _touch[head] < _lastRequest[slot] && _tier.Depth(head) <= _requestDepth[slot];
    }

    private void ForgetBurst(int slot)
    {
        if (slot == _burstSlot)
        {
            _burstSession = long.MinValue;
        }
    }

    /// <summary>A request's touches reuse one clock reading for at most this many blocks, so time never stalls for long.</summary>
    private const int BurstClockTouches = 1 << 12;

    private const int MaxTrackedSessions = 1 << 16;
}
