using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// TTL pins as the engines ship them: when a response ends (a tool call or the end of a turn) the session's resident
/// blocks are pinned for a fixed time-to-live, a hit refreshes the pin, and the pinned blocks never exceed a share of
/// the tier; a pin that would exceed it is refused. Unpinned blocks go in LRU order.
/// </summary>
/// <remarks>
/// <para>
/// Dynamo's <c>nvext.cache_control</c> (pin a prefix for a TTL after generation; "ephemeral" = 300 s, the session
/// timeout of <c>session_control</c>) on SGLang HiCache's pins: refresh on hit, lazy expiry checked at eviction, and a
/// budget <c>SGLANG_HICACHE_MAX_PINNED_RATIO</c> (default 0, i.e. off; 0.6 is the documented typical value, taken
/// here) beyond which a pin request is rejected. The signal that a response ended is the session hint
/// (<see cref="SessionHint.Paused"/> or <see cref="SessionHint.AwaitingUser"/>); without hints no pin is made and the
/// policy is LRU.
/// </para>
/// <para>
/// Pins are per session here (SGLang pins a token prefix): blocks a pinned session adds while it runs count against
/// the budget too, and when the budget cannot take one more the session's pin is dropped, so the pinned share never
/// exceeds the budget. A closed session's pin is dropped at once.
/// </para>
/// </remarks>
public struct TtlPinPolicy : IEvictionPolicy
{
    private readonly double _ttl;
    private readonly double _maxPinnedRatio;
    private TierView _tier;
    private HandleList _list;
    private long[] _session;
    private SessionMap<TtlPinSession> _sessions;
    private PinLedger _pins;

    /// <summary>Creates the policy with Dynamo's 300 s TTL and a 0.6 pinned share.</summary>
    public TtlPinPolicy()
        : this(300, 0.6)
    {
    }

    /// <summary>Creates the policy.</summary>
    /// <param name="ttlSeconds">How long a pin lasts after the response that made it, or after its last hit.</param>
    /// <param name="maxPinnedRatio">The largest share of the tier's capacity pinned blocks may take, in [0, 1).</param>
    public TtlPinPolicy(double ttlSeconds, double maxPinnedRatio)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ttlSeconds);
        if (maxPinnedRatio is < 0 or >= 1 || double.IsNaN(maxPinnedRatio))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxPinnedRatio), maxPinnedRatio, "The pinned share must be in [0, 1).");
        }

        _ttl = ttlSeconds;
        _maxPinnedRatio = maxPinnedRatio;
        _tier = null!;
        _session = [];
        _sessions = null!;
        _pins = null!;
    }

    /// <summary>Blocks pinned now (never more than the budget).</summary>
    public readonly int PinnedBlocks => _pins.PinnedBlocks;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
        _session = new long[tier.Capacity];
        _sessions = new SessionMap<TtlPinSession>(tier.Capacity);
        _pins = new PinLedger((int)(tier.Capacity * _maxPinnedRatio), tier.Capacity);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        long session = _tier.Session(handle);
        _session[handle] = session;
        ref TtlPinSession state = ref _sessions.Added(session);
        _list.PushFront(handle);
        if (state.Pinned)
        {
            double now = _tier.Now;
            _pins.Sweep(_sessions, now);
            if (state.Pinned && !_pins.TryGrow())
            {
                _pins.Unpin(session, ref state);
            }
            else if (state.Pinned)
            {
                state.PinUntil = now + _ttl; // refresh on hit: the session is active
            }
        }
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        _list.MoveToFront(handle);
        ref TtlPinSession state = ref _sessions.Find(_session[handle]);
        if (!Unsafe.IsNullRef(ref state) && state.Pinned)
        {
            state.PinUntil = _tier.Now + _ttl; // refresh on hit
        }
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        _list.Remove(handle);
        long session = _session[handle];
        ref TtlPinSession state = ref _sessions.Find(session);
        if (!Unsafe.IsNullRef(ref state) && state.Pinned)
        {
            _pins.Shrink();
        }

        _sessions.Removed(session, _tier.Now);
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        _pins.Sweep(_sessions, _tier.Now);
        return PinnedVictimScan.Select(_list, _tier, new Pins(_session, _sessions));
    }

    /// <summary>A block is pinned while its session holds a pin (expired pins are swept first).</summary>
    private readonly struct Pins(long[] session, SessionMap<TtlPinSession> sessions) : IPinTest
    {
        public bool IsPinned(int handle)
        {
            ref TtlPinSession state = ref sessions.Find(session[handle]);
            return !Unsafe.IsNullRef(ref state) && state.Pinned;
        }
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
        ref TtlPinSession state = ref _sessions.Find(session);
        if (session == 0 || Unsafe.IsNullRef(ref state))
        {
            return;
        }

        double now = _tier.Now;
        _pins.Sweep(_sessions, now);
        if (hint == SessionHint.Closed)
        {
            if (state.Pinned)
            {
                _pins.Unpin(session, ref state);
            }
        }
        else if (hint is SessionHint.Paused or SessionHint.AwaitingUser)
        {
            if (state.Pinned || _pins.TryPin(session, ref state))
            {
                state.PinUntil = now + _ttl;
            }
        }
    }
}
