namespace KvTiering.Eviction;

internal sealed partial class AgentSessionTable
{
    /// <summary>A server's word on a session (closed, waiting on a tool, awaiting its user, resumed) overrides its timing.</summary>
    public void Hint(long session, SessionHint hint)
    {
        if (!_slotOf.TryGetValue(session, out int slot))
        {
            return;
        }

        _sessions[slot].State = hint switch
        {
            SessionHint.Closed => Closed,
            SessionHint.Paused => Paused,
            SessionHint.AwaitingUser => AwaitingUser,
            _ => Normal,
        };
        _sessions[slot].HintAt = _tier.Now;
        int response = _tier.HintResponseTokens;
        _sessions[slot].BriefReply = response >= 0 && response < _options.BriefReplyTokens;
        _victim = -1;
    }

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
        _sessions[slot].Id = session;
        _sessions[slot].Head = _sessions[slot].Tail = -1;
        _sessions[slot].RequestHead = -1;
        _sessions[slot].RequestDepth = -1;
        _sessions[slot].RequestTop = int.MaxValue;
        _sessions[slot].Count = 0; // a free or recycled slot holds nothing, so its bit in _holding is clear
        _sessions[slot].LastRequest = now;
        _sessions[slot].PrevRequest = double.NegativeInfinity;
        _sessions[slot].Revives = false;
        _sessions[slot].LastTouch = now;
        _sessions[slot].Gap = double.NaN;
        _sessions[slot].Requests = 1;
        _sessions[slot].MaxGap = 0;
        _sessions[slot].State = Normal;
        _sessions[slot].HintAt = now;
        _sessions[slot].Sampled = _miniRate > 0 && IsSampled(session);
        _sessions[slot].UserLogWait = 0;
        _sessions[slot].UserAnswers = 0;
        _sessions[slot].Unanswered = false;
        _sessions[slot].AfterUser = true; // a session's first request carries its user's message
        _sessions[slot].BriefReply = false;
        _sessions[slot].PrevDepth = -1;
        _sessions[slot].PrevAdded = 0;
        _sessions[slot].ReturnUnended = false;
        return slot;
    }

    /// <summary>A touch of the session at <paramref name="now"/>: past the request window it starts a new request.</summary>
    private void Register(int slot, double now)
    {
        if (now - _sessions[slot].LastTouch > _options.RequestWindowSeconds)
        {
            double gap = now - _sessions[slot].LastRequest;
            double a = _options.GapSmoothing;
            _sessions[slot].MaxGap = Math.Max(_sessions[slot].MaxGap, gap);
            _returns?.ObserveReturn(ref _sessions[slot], now, _sessions[slot].State == Paused);
            if (_sessions[slot].State == Paused)
            {
                // The tool returned: learn how long tools take, from the end of the response that called it.
                _toolWaits.Observe(now - _sessions[slot].HintAt);
            }

            if (_options.GapClip > 0 && !double.IsNaN(_sessions[slot].Gap))
            {
                // A long pause (the user was away) says little about the next gap: bursts of tool calls follow it.
                gap = Math.Min(gap, _options.GapClip * _sessions[slot].Gap);
            }

            if (_options.GeometricGaps)
            {
                // Gaps are heavy-tailed: average their logarithms so one long pause does not swamp the estimate.
                double logGap = Math.Log(Math.Max(gap, 1e-3));
                _sessions[slot].Gap = double.IsNaN(_sessions[slot].Gap) ? gap : Math.Exp((a * logGap) + ((1 - a) * Math.Log(_sessions[slot].Gap)));
                _globalGap = double.IsNaN(_globalGap) ? gap : Math.Exp((0.05 * logGap) + (0.95 * Math.Log(_globalGap)));
            }
            else
            {
                _sessions[slot].Gap = double.IsNaN(_sessions[slot].Gap) ? gap : (a * gap) + ((1 - a) * _sessions[slot].Gap);
                _globalGap = double.IsNaN(_globalGap) ? gap : (0.05 * gap) + (0.95 * _globalGap);
            }

            if (_sessions[slot].State == AwaitingUser)
            {
                _users.Answered(ref _sessions[slot], now); // the user answered: learn how long users take
            }

            _sessions[slot].PrevRequest = _sessions[slot].LastRequest;
            _sessions[slot].LastRequest = now;
            _sessions[slot].RequestHead = -1;
            _sessions[slot].PrevAdded = _sessions[slot].RequestDepth - Math.Max(_sessions[slot].PrevDepth, -1);
            _sessions[slot].PrevDepth = _sessions[slot].RequestDepth;
            _sessions[slot].RequestDepth = -1;
            _sessions[slot].RequestTop = int.MaxValue;
            _sessions[slot].Requests++;
            _sessions[slot].AfterUser = _sessions[slot].State == AwaitingUser; // this request answers a user's message
            if (_sessions[slot].State != Closed)
            {
                _sessions[slot].State = Normal;
            }
        }

        _sessions[slot].LastTouch = now;
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
            if (_sessions[s].Count == 0 && (oldest < 0 || _sessions[s].LastRequest < _sessions[oldest].LastRequest))
            {
                oldest = s;
            }
        }

        if (oldest < 0)
        {
            return NewSlot();
        }

        _slotOf.Remove(_sessions[oldest].Id);
        ForgetBurst(oldest);
        MiniForget(oldest);
        return oldest;
    }

    private int NewSlot()
    {
        if (_slotCount == _sessions.Length)
        {
            int size = _slotCount * 2;
            Array.Resize(ref _sessions, size);
            MiniResize(size);
            Array.Resize(ref _freeSlots, size);
            Array.Resize(ref _holding, size / 64);
        }

        return _slotCount++;
    }

    /// <summary>A session with no blocks left is forgotten, so memory stays bounded by the sessions the tier holds.</summary>
    private void Release(int slot)
    {
        _slotOf.Remove(_sessions[slot].Id);
        ForgetBurst(slot);
        MiniForget(slot);
        _freeSlots[_freeTop++] = slot;
        if (slot == _victim)
        {
            _victim = -1;
        }
    }

    /// <summary>
    /// Whether the session's oldest blocks were skipped by its latest request: untouched by it, though it has gone as
    /// deep as they are, from no deeper than they start (it took another branch). A shorter request, one still in
    /// progress, or one whose hits have not been reported yet (only its new, deeper blocks have) skips nothing yet.
    /// </summary>
    private bool HasSkippedFront(int slot)
    {
        int head = _sessions[slot].Head;
        if (head < 0 || _touch[head] >= _sessions[slot].LastRequest)
        {
            return false;
        }

        int depth = _tier.Depth(head);
        return depth <= _sessions[slot].RequestDepth && depth >= _sessions[slot].RequestTop;
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

    // The learned return-time predictor (AgentPolicyOptions.LearnedReturn), or null when it is off.
    private readonly AgentReturnPredictor? _returns;

    // Per session slot, a bit while it holds blocks (Count > 0): a victim scan visits these alone, in slot order, and
    // skips the many tracked sessions whose blocks are gone (a scan over every slot was a seventh of an agent replay).
    private ulong[] _holding = new ulong[1];

    /// <summary>The first slot at or after <paramref name="from"/> that holds blocks, or -1.</summary>
    private int NextHolding(int from)
    {
        int w = from >> 6;
        if (w >= _holding.Length)
        {
            return -1;
        }

        ulong bits = _holding[w] & (~0UL << from); // C# shifts by from mod 64: the bits of slots from 'from' on
        while (bits == 0)
        {
            if (++w >= _holding.Length)
            {
                return -1;
            }

            bits = _holding[w];
        }

        return (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
    }
}
