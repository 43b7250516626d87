namespace KvTiering.Eviction;

/// <summary>
/// Continuum ("CacheTTL"): LRU, except that a session whose response ended in a tool call keeps its blocks pinned for
/// a time-to-live learned from how long tool calls take. A pin ends when the session's next request arrives, when
/// the session closes or ends its turn, or when the TTL runs out.
/// </summary>
/// <remarks>
/// <para>
/// Li et al., "Continuum: Efficient and Robust Multi-Turn LLM Agent Scheduling with KV Cache Time-to-Live", arXiv
/// 2511.02230; shipped in vLLM as a retention directive (PR #38514). The TTL is Continuum's τ* (<see cref="TtlChooser"/>).
/// The tool-call signal is <see cref="SessionHint.Paused"/>; without hints the policy is LRU.
/// </para>
/// <para>
/// A pin is soft, as in Continuum's engine, which evicts a pinned request only when nothing else can go: the victim
/// scan passes pinned blocks, moving each one it passes to the head (so each is passed at most once per trip around
/// the list), and takes the least recent pinned block only when every evictable block is pinned, or when it has passed 1,024
/// pinned blocks in one scan (which bounds an eviction's cost when nearly everything is pinned).
/// </para>
/// </remarks>
public struct ContinuumPolicy : IEvictionPolicy
{
    private readonly double _reloadSeconds;
    private readonly double _coldStartTtl;
    private TierView _tier;
    private HandleList _list;
    private long[] _session;
    private SessionMap<ContinuumSession> _sessions;
    private TtlChooser _ttl;

    /// <summary>Creates the policy with its defaults: an avoided reload is worth 60 s of holding, 30 s TTL at cold start.</summary>
    public ContinuumPolicy()
        : this(60, 30)
    {
    }

    /// <summary>Creates the policy.</summary>
    /// <param name="reloadSeconds">What an avoided reload is worth in seconds of holding a session's blocks.</param>
    /// <param name="coldStartTtl">The TTL used until eight tool durations have been seen.</param>
    public ContinuumPolicy(double reloadSeconds, double coldStartTtl)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reloadSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(coldStartTtl);
        _reloadSeconds = reloadSeconds;
        _coldStartTtl = coldStartTtl;
        _tier = null!;
        _session = [];
        _sessions = null!;
        _ttl = null!;
    }

    /// <summary>The TTL a tool-call pin gets now, in seconds.</summary>
    public readonly double CurrentTtl => _ttl.Ttl;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
        _session = new long[tier.Capacity];
        _sessions = new SessionMap<ContinuumSession>(tier.Capacity);
        _ttl = new TtlChooser(_reloadSeconds, _coldStartTtl);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        long session = _tier.Session(handle);
        _session[handle] = session;
        Touched(ref _sessions.Added(session));
        _list.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        Touched(ref _sessions.Get(_session[handle]));
        _list.MoveToFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        _list.Remove(handle);
        _sessions.Removed(_session[handle], _tier.Now);
    }

    /// <inheritdoc />
    public readonly int SelectVictim() =>
        PinnedVictimScan.Select(_list, _tier, new Pins(_session, _sessions, _tier.Now));

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
        ref ContinuumSession state = ref _sessions.Find(session);
        if (session == 0 || System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state))
        {
            return; // nothing resident to pin
        }

        double now = _tier.Now;
        switch (hint)
        {
            case SessionHint.Paused:
                state.PausedAt = now;
                state.PinUntil = now + _ttl.Ttl;
                break;
            case SessionHint.AwaitingUser:
            case SessionHint.Closed:
                state.PausedAt = double.NaN; // Continuum pins for tools only
                state.PinUntil = 0;
                break;
        }
    }

    /// <summary>A block is pinned while its session's tool-call TTL runs.</summary>
    private readonly struct Pins(long[] session, SessionMap<ContinuumSession> sessions, double now) : IPinTest
    {
        public bool IsPinned(int handle)
        {
            ref ContinuumSession state = ref sessions.Find(session[handle]);
            return !System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state) && state.PinUntil > now;
        }
    }

    private readonly void Touched(ref ContinuumSession state)
    {
        if (!double.IsNaN(state.PausedAt))
        {
            // The tool returned: its duration feeds the TTL, and the pin has done its job.
            double now = _tier.Now;
            _ttl.Observe(now - state.PausedAt);
            state.PausedAt = double.NaN;
            state.PinUntil = 0;
        }
    }
}
