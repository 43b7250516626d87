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
    private readonly Dictionary<long, int> _slotOf = [];

    // Per session slot.
    private long[] _sessionId = new long[64];
    private int[] _head = new int[64];
    private int[] _tail = new int[64];
    private int[] _count = new int[64];
    private double[] _lastRequest = new double[64];
    private double[] _lastTouch = new double[64];
    private double[] _gap = new double[64];
    private int[] _requests = new int[64];
    private byte[] _state = new byte[64];
    private int[] _requestHead = new int[64]; // first block the session's latest request touched; -1 before any
    private double[] _oracleNext = new double[64];
    private double[] _prevRequest = new double[64]; // start of the request before the latest one
    private bool[] _revives = new bool[64];         // the session has come back to blocks its previous request skipped
    private int[] _requestDepth = new int[64];       // deepest block the latest request has touched
    private int[] _requestTop = new int[64];         // shallowest block the latest request has touched
    private double[] _hintAt = new double[64];       // when the latest hint arrived (its response ended)

    // The request in progress: touches of one session at growing depth reuse its clock reading and slot.
    private long _burstSession = long.MinValue;
    private int _burstSlot;
    private int _burstDepth;
    private int _burstTouches;
    private double _burstNow;
    private int[] _freeSlots = new int[64];
    private int _freeTop;
    private int _slotCount = 1;

    private double _globalGap = double.NaN;
    private double _userGap = double.NaN; // typical time a session awaiting its user (hint) takes to come back
    private readonly AgentWaitModel _userWaits = new(); // how long users take to answer, from the end of the turn
    private readonly AgentWaitModel _toolWaits = new(); // how long tools take, from the end of the response
    private int _victim = -1;
    private double _victimScore;
    private double _victimNow = double.NaN;

    public AgentSessionTable(TierView tier, AgentPolicyOptions options)
    {
        _tier = tier;
        _options = options;
        int capacity = tier.Capacity;
        _next = new int[capacity];
        _prev = new int[capacity];
        _owner = new int[capacity];
        _touch = new double[capacity];
        Array.Fill(_owner, -1);
        _sharedLimit = Math.Max(1, (int)(capacity * options.SharedShare));
        _head[Shared] = _tail[Shared] = -1;
        _requestHead[Shared] = -1;
        if (options.Miniature && options.MiniatureRate >= 1 && options.PredictReturn && !options.OracleDiagnostic && tier.TierIndex == 0)
        {
            // A miniature needs room for a few sessions to say anything: a small tier samples more (all, under 16,384 blocks).
            _miniRate = Math.Max(1, Math.Min(options.MiniatureRate, capacity / MinMiniatureBlocks));
            int miniCapacity = Math.Max(1, capacity / _miniRate);
            _miniKeep = 1 - (1.0 / (MiniatureMemory * (double)miniCapacity));
            _miniPredict = new Miniature(this, PredictOrdering, miniCapacity);
            _miniRecency = new Miniature(this, RecencyOrdering, miniCapacity);
        }
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
            slot = owner > Shared && _sessionId[owner] == session ? owner : LookUp(session, now);
            Register(slot, now);
            if (depth < _requestTop[slot])
            {
                _requestTop[slot] = depth; // a burst starts at its shallowest block, so only its first touch can lower this
            }

            _burstSession = session;
            _burstSlot = slot;
            _burstNow = now;
            _burstTouches = 0;
        }

        _burstDepth = depth;
        if (!inserted && _sampled[slot])
        {
            MiniReference(slot, depth, now, newRequest: !burst); // a miss was replayed when it was offered (Admit)
        }

        if (depth > _requestDepth[slot])
        {
            _requestDepth[slot] = depth;
        }

        int target = slot;
        int held = _owner[handle];
        if (!inserted && held >= 0)
        {
            // A block another session also uses is shared: it leaves both sessions' fate and joins the shared segment.
            target = held == slot ? slot : Shared;
            if (held == slot && _touch[handle] < _prevRequest[slot])
            {
                // A block the previous request skipped is used again: this session branches back, so the blocks its
                // latest request skips are not dead.
                _revives[slot] = true;
            }

            Unlink(handle, held, release: held != target);
        }

        Append(handle, target);
        _touch[handle] = now;

        if (_options.OracleDiagnostic)
        {
            _oracleNext[slot] = _tier.NextUse(handle);
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

        bool stale = owner != Shared && _touch[handle] < _lastRequest[owner];
        Unlink(handle, owner, release: true);
        if (owner == _victim && (_count[owner] == 0 || (_options.RecheckVictim && (owner == Shared
            ? _count[Shared] == _sharedLimit
            : stale && !HasStaleFront(owner)))))
        {
            // The victim's stale blocks are gone: its rank may have rested on them (dead-branch rule), so rank again.
            _victim = -1;
        }
    }

    public bool Admit(in BlockInfo block)
    {
        if (_miniRate > 0 && !block.IsDemotion && IsSampled(block.Session))
        {
            double at = _tier.Now;
            MiniReference(SlotFor(block.Session, at), block.Depth, at, newRequest: true);
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

        return victim <= Shared || _sessionId[victim] != block.Session || HasStaleFront(victim);
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
        for (int s = 0; s < _slotCount; s++)
        {
            if (_count[s] > 0 && (handle = PickInSession(s)) >= 0)
            {
                return handle;
            }
        }

        return -1;
    }

    private void Append(int handle, int slot)
    {
        int tail = _tail[slot];
        _prev[handle] = tail;
        _next[handle] = -1;
        if (tail >= 0)
        {
            _next[tail] = handle;
        }
        else
        {
            _head[slot] = handle;
        }

        _tail[slot] = handle;
        _owner[handle] = slot;
        _count[slot]++;
        if (_requestHead[slot] < 0)
        {
            _requestHead[slot] = handle;
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
            _head[slot] = next;
        }

        if (next >= 0)
        {
            _prev[next] = prev;
        }
        else
        {
            _tail[slot] = prev;
        }

        _owner[handle] = -1;
        if (_requestHead[slot] == handle)
        {
            _requestHead[slot] = next;
        }

        if (--_count[slot] == 0 && release && slot != Shared && _options.ForgetEmptySessions)
        {
            Release(slot);
        }
    }
}
