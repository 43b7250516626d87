namespace KvTiering.Eviction;

/// <summary>
/// The state behind <see cref="AgentPolicy"/>: per-handle links and owners, per-session lists, request boundaries,
/// gap estimates and the cached victim session. Session slot 0 is the shared segment; real sessions start at 1.
/// </summary>
internal sealed partial class AgentSessionTable
{
    private const int Shared = 0;
    private const byte Normal = 0;
    private const byte Paused = 1;
    private const byte Closed = 2;
    private const byte AwaitingUser = 3;

    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _owner;
    private readonly double[] _touch;
    private readonly int _sharedLimit;

    // Per session slot (slot 0 is the shared segment): the records, grown in one place (AgentSessionSlots.Take), and
    // the hot paths' view of their array, taken again after each Take (a plain array read, no indirection).
    private readonly AgentSessionSlots _slots = new();
    private AgentSession[] _sessions;

    // The request in progress: touches of one session at growing depth reuse its clock reading and slot.
    private long _burstSession = long.MinValue;
    private int _burstSlot;
    private int _burstDepth;
    private int _burstTouches;
    private double _burstNow;

    private double _globalGap = double.NaN;
    private readonly AgentWaitModel _toolWaits = new(); // how long tools take, from the end of the response
    private readonly AgentUserWaits _users; // how long users take to answer (rules 8, 12-15)
    private readonly AgentAnonymousPool? _anonymous; // blocks of no session, ARC's or S3-FIFO's order (null: like any session)
    private readonly AgentReturnPredictor? _returns; // the learned return-time predictor (LearnedReturn), or null
    private readonly AgentMiniatures? _miniatures; // which ordering the tier follows (rule 10), or null: always predict
    private int _victim = -1;
    private double _victimScore;
    private double _victimNow = double.NaN;

    public AgentSessionTable(TierView tier, AgentPolicyOptions options)
    {
        _tier = tier;
        _options = options;
        _users = new AgentUserWaits(options);
        _sessions = _slots.Records;
        int capacity = tier.Capacity;
        _next = new int[capacity];
        _prev = new int[capacity];
        _owner = new int[capacity];
        _touch = new double[capacity];
        Array.Fill(_owner, -1);
        _sharedLimit = Math.Max(1, (int)(capacity * options.SharedShare));
        _sessions[Shared].Head = _sessions[Shared].Tail = -1;
        _anonymous = options.AnonymousArc ? new AgentAnonymousPool(tier, options) : null;
        _returns = options.LearnedReturn > 0 ? new AgentReturnPredictor(options.LearnedUnendedFactor, options.LearnedOwnScale) : null;
        _miniatures = AgentMiniatures.For(this, options, capacity, tier.TierIndex);
    }

    public void Touch(int handle, bool inserted)
    {
        long session = _tier.Session(handle);
        int depth = _tier.Depth(handle);
        int slot;
        double now;
        bool burst = session == _burstSession && depth > _burstDepth && _burstTouches < BurstClockTouches;
        if (burst)
        {
            // The request in progress goes on (same session, deeper): its time, slot and score are already known, so
            // the hit path reads no clock, looks nothing up and rescores nothing.
            slot = _burstSlot;
            now = _burstNow;
            _burstTouches++;
        }
        else
        {
            now = _tier.Now;
            int owner = _owner[handle];
            slot = owner > Shared && _sessions[owner].Id == session ? owner : LookUp(session, now);
            Register(slot, now);
            if (depth < _sessions[slot].RequestTop)
            {
                _sessions[slot].RequestTop = depth; // a burst starts at its shallowest block, so only its first touch can lower this
            }

            _burstSession = session;
            _burstSlot = slot;
            _burstNow = now;
            _burstTouches = 0;
        }

        _burstDepth = depth;
        if (!inserted && _sessions[slot].Sampled)
        {
            MiniReference(slot, depth, now, newRequest: !burst); // a miss was replayed when it was offered (Admit)
        }

        if (depth > _sessions[slot].RequestDepth)
        {
            _sessions[slot].RequestDepth = depth;
        }

        int target = slot;
        int held = _owner[handle];
        if (!inserted && held >= 0)
        {
            // A block another session also uses is shared: it leaves both sessions' fate and joins the shared segment.
            target = held == slot ? slot : Shared;
            if (held == slot && _touch[handle] < _sessions[slot].PrevRequest)
            {
                // A block the previous request skipped is used again: this session branches back, so the blocks its
                // latest request skips are not dead.
                _sessions[slot].Revives = true;
            }

            Unlink(handle, held, release: held != target);
        }

        Append(handle, target);
        _touch[handle] = now;
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

        if (_options.OracleDiagnostic)
        {
            _sessions[slot].OracleNext = _tier.NextUse(handle);
        }

        if (!burst)
        {
            Rescore(slot, now);
        }
        else if (slot == _victim || target == _victim)
        {
            _victim = -1;
        }
    }

    public void Remove(int handle)
    {
        int owner = _owner[handle];
        if (owner < 0)
        {
            return;
        }

        _anonymous?.Remove(handle);
        bool stale = owner != Shared && _touch[handle] < _sessions[owner].LastRequest;
        Unlink(handle, owner, release: true);
        if (owner == _victim && (_sessions[owner].Count == 0 || (_options.RecheckVictim && (owner == Shared
            ? _sessions[Shared].Count == _sharedLimit
            : stale && !HasStaleFront(owner)))))
        {
            // The victim's stale blocks are gone: its rank may have rested on them (dead-branch rule), so rank again.
            _victim = -1;
        }
    }

    public bool Admit(in BlockInfo block)
    {
        if (_miniatures is not null && !block.IsDemotion && _miniatures.IsSampled(block.Session))
        {
            double at = _tier.Now;
            MiniReference(SlotFor(block.Session, at), block.Depth, at, newRequest: true);
        }

        if (block.Session == 0)
        {
            _anonymous?.Offer(block.Key, block.Depth);
        }

        if (!_options.Bypass || _tier.Count < _tier.Capacity || block.Session == 0)
        {
            return true;
        }

        // The block's arrival is its session's request: register it first, so a returning session is judged by
        // this request, not by the idle time that preceded it.
        double now = _tier.Now;
        int slot = SlotFor(block.Session, now);
        Rescore(slot, now);

        // Bypass: when the incoming block's own session is the one expected back last and it has no stale blocks
        // to give up, storing the block would only push out that session's previous deepest block.
        int victim = VictimSession(now);
        if (block.Session == _burstSession)
        {
            _burstNow = now; // the burst goes on at the time Admit just read
        }

        return victim <= Shared || _sessions[victim].Id != block.Session || HasStaleFront(victim);
    }

    public int SelectVictim()
    {
        double now = _tier.Now;
        int session = VictimSession(now);
        int handle = session >= 0 ? PickInSession(session) : -1;
        if (handle >= 0)
        {
            return handle;
        }

        // Pins (or a drained victim) left nothing: rescan every list for any evictable block.
        for (int s = _slots.NextHolding(0); s >= 0; s = _slots.NextHolding(s + 1))
        {
            if ((handle = PickInSession(s)) >= 0)
            {
                return handle;
            }
        }

        return -1;
    }

    private void Append(int handle, int slot)
    {
        int tail = _sessions[slot].Tail;
        _prev[handle] = tail;
        _next[handle] = -1;
        if (tail >= 0)
        {
            _next[tail] = handle;
        }
        else
        {
            _sessions[slot].Head = handle;
        }

        _sessions[slot].Tail = handle;
        _owner[handle] = slot;
        if (_sessions[slot].Count++ == 0)
        {
            _slots.MarkHolding(slot);
        }
    }

    private void Unlink(int handle, int slot, bool release)
    {
        int prev = _prev[handle];
        int next = _next[handle];
        if (prev >= 0)
        {
            _next[prev] = next;
        }
        else
        {
            _sessions[slot].Head = next;
        }

        if (next >= 0)
        {
            _prev[next] = prev;
        }
        else
        {
            _sessions[slot].Tail = prev;
        }

        _owner[handle] = -1;

        if (--_sessions[slot].Count == 0)
        {
            _slots.ClearHolding(slot);
            if (release && slot != Shared && _options.ForgetEmptySessions)
            {
                Release(slot);
            }
        }
    }
}
