namespace KvTiering.Eviction;

internal sealed partial class AgentSessionTable
{
    /// <summary>A server's word on a session (closed, waiting on a tool, awaiting its user, resumed) overrides its timing.</summary>
    public void Hint(long session, SessionHint hint)
    {
        _density.NoteHint(); // the server sends hints (rule 18's bit 16)
        if (!_slots.TryFind(session, out int slot))
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
        if (_slots.TryFind(session, out int slot))
        {
            return slot;
        }

        slot = _slots.Take(session);
        _sessions = _slots.Records; // Take may have grown them
        ForgetBurst(slot); // a reused slot's past: its burst and its miniature prefix
        MiniForget(slot);
        _sessions[slot].Id = session;
        _sessions[slot].Head = _sessions[slot].Tail = -1;
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
        _sessions[slot].Sampled = _miniatures is not null && _miniatures.IsSampled(session);
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
            if (_options.HitDensity != 0)
            {
                _density.ObserveGap(gap, _sessions[slot].Gap); // the shape of gaps, for hit density (no-op before a typical gap)
            }

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

    /// <summary>A session with no blocks left is forgotten, so memory stays bounded by the sessions the tier holds.</summary>
    private void Release(int slot)
    {
        _slots.Free(slot);
        ForgetBurst(slot);
        MiniForget(slot);
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

    /// <summary>While <see cref="AgentMiniatures"/> run: the ordering they chose; otherwise expected return.</summary>
    private bool Predicting => _miniatures?.Predict ?? true;

    /// <summary>How long a request's touches count as one request.</summary>
    internal double RequestWindowSeconds => _options.RequestWindowSeconds;

    /// <summary>How a miniature ranks a sampled session: its expected wait, or its idle time.</summary>
    internal double MiniatureScore(int slot, double now, bool predict) =>
        predict ? ExpectedWait(slot, now, predict: true) : now - _sessions[slot].LastRequest;

    /// <summary>A sampled session references the block at <paramref name="depth"/>: both miniatures replay it.</summary>
    private void MiniReference(int slot, int depth, double now, bool newRequest)
    {
        if (_miniatures!.Reference(slot, depth, now, newRequest))
        {
            _victim = -1; // the ordering changed
        }
    }

    /// <summary>A slot is forgotten or reused: its session leaves both miniatures.</summary>
    private void MiniForget(int slot)
    {
        if (_sessions[slot].Sampled)
        {
            _miniatures!.Forget(slot);
            _sessions[slot].Sampled = false;
        }
    }
}
