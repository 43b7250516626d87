namespace KvTiering.Eviction;

/// <summary>
/// The state behind <see cref="AgentPolicy"/>: which session each touch belongs to and the request in progress, over
/// collaborators with one job each: the session records (<see cref="AgentSessionSlots"/>), their block lists
/// (<see cref="AgentBlockLists"/>), their requests and what those teach (<see cref="AgentSessionRequests"/>), their
/// rank as victims (<see cref="AgentSessionRanking"/>), the block that goes (<see cref="AgentVictimPicker"/>), the
/// blocks of no session (<see cref="AgentAnonymousPool"/>) and the choice of ordering (<see cref="AgentMiniatures"/>).
/// Session slot 0 is the shared segment; real sessions start at 1.
/// </summary>
internal sealed class AgentSessionTable
{
    private const int Shared = AgentSessionSlots.Shared;

    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;

    // Per session slot (slot 0 is the shared segment): the records, grown in one place (AgentSessionSlots.Take), and
    // the hot paths' view of their array, taken again after each Take (a plain array read, no indirection).
    private readonly AgentSessionSlots _slots = new();
    private AgentSession[] _sessions;

    private readonly AgentBlockLists _lists;
    private readonly AgentSessionRequests _requests;
    private readonly AgentSessionRanking _ranking;
    private readonly AgentVictimPicker _picker;
    private readonly AgentAnonymousPool? _anonymous; // blocks of no session, ARC's or S3-FIFO's order (null: like any session)
    private readonly AgentMiniatures? _miniatures; // which ordering the tier follows (rule 10), or null: always predict
    private readonly AgentDeadBlocks _dead; // what the store may drop rather than demote (IKnowsDeadBlocks)
    private readonly AgentOracle _oracle; // the ceiling diagnostic (replay only)
    private readonly AgentDemotions? _demotions; // blocks demoted into this tier, when the store says so (IKnowsDemotions)
    private long _demoted = long.MinValue; // the session of the block a demotion into this tier is inserting, if any
    private readonly AgentRequestsAbove _above; // requests the tiers above serve (IKnowsRequestsAbove)
    private AgentRequestBurst _burst = new(); // the request in progress

    public AgentSessionTable(TierView tier, AgentPolicyOptions options)
    {
        _tier = tier;
        _options = options;
        _sessions = _slots.Records;
        _sessions[Shared].Head = _sessions[Shared].Tail = -1;
        _lists = new AgentBlockLists(tier, options, _slots);
        _requests = new AgentSessionRequests(options);
        _ranking = new AgentSessionRanking(tier, options, _slots, _lists, _requests);
        _anonymous = options.AnonymousArc ? new AgentAnonymousPool(tier, options) : null;
        _picker = new AgentVictimPicker(tier, options, _slots, _lists, _ranking, _requests.Density, _anonymous);
        _miniatures = AgentMiniatures.For(_ranking, options, tier.Capacity, tier.TierIndex);
        _dead = new AgentDeadBlocks(tier, options, _slots, _lists);
        _oracle = new AgentOracle(tier, options, _lists);
        _demotions = tier.TellsDemotions ? new AgentDemotions(tier, options, _slots, _lists, _ranking, _anonymous) : null;
        _above = new AgentRequestsAbove(_slots, _requests, _ranking);
    }

    /// <summary>While <see cref="AgentMiniatures"/> run: the ordering they chose; otherwise expected return.</summary>
    private bool Predicting => _miniatures?.Predict ?? true;

    public void Touch(int handle, bool inserted)
    {
        long session = _tier.Session(handle);
        int depth = _tier.Depth(handle);
        int slot;
        double now;
        bool burst = _burst.Continues(session, depth);
        if (burst)
        {
            // The request in progress goes on (same session, deeper): its time, slot and score are already known.
            slot = _burst.Slot;
            now = _burst.Now;
        }
        else
        {
            now = _tier.Now;
            int owner = _lists.Owner(handle);
            slot = owner > Shared && _sessions[owner].Id == session ? owner : LookUp(session, now);
            byte state = _sessions[slot].State;
            _requests.Register(ref _sessions[slot], now);
            if (inserted && session == _demoted && state == AgentSessionState.Closed)
            {
                _sessions[slot].State = state; // a demotion into this tier is no request: a closed session stays closed
            }
            _sessions[slot].ReachTop(depth);

            _burst.Start(session, slot, now);
        }

        _burst.Reached(depth);
        if (!inserted && _sessions[slot].Sampled)
        {
            MiniReference(slot, depth, now, newRequest: !burst); // a miss was replayed when it was offered (Admit)
        }

        _sessions[slot].Reach(depth);

        int target = slot;
        int held = _lists.Owner(handle);
        if (!inserted && held >= 0)
        {
            // A block another session also uses is shared: it leaves both sessions' fate and joins the shared segment.
            target = held == slot ? slot : Shared;
            if (held == slot && _lists.TouchedAt(handle) < _sessions[slot].PrevRequest)
            {
                // A block the previous request skipped is used again: this session branches back, so the blocks its
                // latest request skips are not dead.
                _sessions[slot].Revives = true;
            }

            Unlink(handle, held, release: held != target);
        }

        _lists.Append(handle, target, ref _sessions[target], now);
        if (_anonymous is not null)
        {
            if (target != Shared && session == 0)
            {
                _anonymous.Touch(handle, inserted || !_anonymous.Contains(handle));
            }
            else if (_anonymous.Contains(handle))
            {
                _anonymous.Remove(handle);
            }
        }

        if (_options.OracleDiagnostic || AgentRankDump.Enabled)
        {
            _oracle.Touch(ref _sessions[slot], handle, firstOfRequest: !burst, own: target == slot);
        }

        if (!burst)
        {
            _ranking.Rescore(slot, now, Predicting);
        }
        else
        {
            _ranking.Touched(slot, target);
        }
    }

    public void Remove(int handle)
    {
        int owner = _lists.Owner(handle);
        if (owner < 0)
        {
            return;
        }

        _anonymous?.Remove(handle);
        bool stale = owner != Shared && _lists.TouchedAt(handle) < _sessions[owner].LastRequest;
        Unlink(handle, owner, release: true);
        _ranking.Removed(owner, stale);
    }

    public bool Admit(in BlockInfo block)
    {
        if (block.IsDemotion && _demotions is not null)
        {
            return _demotions.Admit(block, Predicting);
        }

        _demoted = block.IsDemotion ? block.Session : long.MinValue;
        if (_miniatures is not null && !block.IsDemotion && _miniatures.IsSampled(block.Session))
        {
            double at = _tier.Now;
            MiniReference(SlotFor(block.Session, at), block.Depth, at, newRequest: true);
        }

        if (block.Session == 0)
        {
            _anonymous?.Offer(block.Key, block.Depth);
        }

        if (_oracle.Declines(block))
        {
            return false; // diagnostic: Belady's admission
        }

        if (!_options.Bypass || _tier.Count < _tier.Capacity || block.Session == 0)
        {
            return true;
        }

        // The block's arrival is its session's request: register it first, so a returning session is judged by
        // this request, not by the idle time that preceded it.
        double now = _tier.Now;
        int slot = SlotFor(block.Session, now);
        _ranking.Rescore(slot, now, Predicting);

        // Bypass: when the incoming block's own session is the one expected back last and it has no stale blocks
        // to give up, storing the block would only push out that session's previous deepest block.
        int victim = _ranking.VictimSession(now, Predicting);
        _burst.Retime(block.Session, now); // a burst of this session goes on at the time Admit just read

        return victim <= Shared || _sessions[victim].Id != block.Session || _lists.HasStaleFront(ref _sessions[victim]);
    }

    /// <summary>A block demoted from a tier above (<see cref="AgentDemotions"/>): no request of its session.</summary>
    public void Demoted(int handle)
    {
        double now = _tier.Now;
        long session = _tier.Session(handle);
        _demotions!.Insert(handle, _slots.TryFind(session, out int slot) ? slot : LookUp(session, now), now, Predicting);
    }

    /// <summary>A request a tier above serves (<see cref="AgentRequestsAbove"/>); its session's burst here, if any, has ended.</summary>
    public void RequestAbove(long session, double now)
    {
        _above.Arrived(session, now, Predicting);
        _burst.End(session); // a burst needs the session's slot, so a session held nowhere here has none to end
    }

    public int SelectVictim() => _picker.SelectVictim(_tier.Now, Predicting);

    /// <inheritdoc cref="AgentDeadBlocks.IsDead"/>
    public bool IsDead(int handle) => _dead.IsDead(handle);

    /// <summary>A server's word on a session (closed, waiting on a tool, awaiting its user, resumed) overrides its timing.</summary>
    public void Hint(long session, SessionHint hint)
    {
        _requests.Density.NoteHint(); // the server sends hints (rule 18's bit 16)
        if (!_slots.TryFind(session, out int slot))
        {
            return;
        }

        _sessions[slot].State = hint switch
        {
            SessionHint.Closed => AgentSessionState.Closed,
            SessionHint.Paused => AgentSessionState.Paused,
            SessionHint.AwaitingUser => AgentSessionState.AwaitingUser,
            _ => AgentSessionState.Normal,
        };
        _sessions[slot].HintAt = _tier.Now;
        int response = _tier.HintResponseTokens;
        _sessions[slot].BriefReply = response >= 0 && response < _options.BriefReplyTokens;
        _ranking.Invalidate();
    }

    /// <summary>The block leaves its list; a session with no blocks left may be forgotten (<see cref="Release"/>).</summary>
    private void Unlink(int handle, int slot, bool release)
    {
        if (_lists.Unlink(handle, slot, ref _sessions[slot]) && release && slot != Shared && _options.ForgetEmptySessions)
        {
            Release(slot);
        }
    }

    /// <summary>The slot of a session, registering it (and any new request of it) at time <paramref name="now"/>.</summary>
    private int SlotFor(long session, double now)
    {
        int slot = LookUp(session, now);
        _requests.Register(ref _sessions[slot], now);
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
        _burst.Forget(slot); // a reused slot's past: its burst and its miniature prefix
        MiniForget(slot);
        _sessions[slot].Open(session, now, _miniatures is not null && _miniatures.IsSampled(session));
        return slot;
    }

    /// <summary>A session with no blocks left is forgotten, so memory stays bounded by the sessions the tier holds.</summary>
    private void Release(int slot)
    {
        _slots.Free(slot);
        _burst.Forget(slot);
        MiniForget(slot);
        if (slot == _ranking.Victim)
        {
            _ranking.Invalidate();
        }
    }

    /// <summary>A sampled session references the block at <paramref name="depth"/>: both miniatures replay it.</summary>
    private void MiniReference(int slot, int depth, double now, bool newRequest)
    {
        if (_miniatures!.Reference(slot, depth, now, newRequest))
        {
            _ranking.Invalidate(); // the ordering changed
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
