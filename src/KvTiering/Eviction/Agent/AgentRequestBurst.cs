namespace KvTiering.Eviction;

/// <summary>
/// The request in progress of <see cref="AgentSessionTable"/>: touches of one session at growing depth reuse its clock
/// reading and slot, so the hit path of a request's later blocks reads no clock, looks nothing up and rescores nothing.
/// A mutable struct held in a field of the table (no indirection on the hot path).
/// </summary>
internal struct AgentRequestBurst
{
    /// <summary>A request's touches reuse one clock reading for at most this many blocks, so time never stalls for long.</summary>
    private const int MaxTouches = 1 << 12;

    private long _session;
    private int _depth;
    private int _touches;

    public AgentRequestBurst() => _session = long.MinValue;

    /// <summary>The slot of the request in progress.</summary>
    public int Slot { get; private set; }

    /// <summary>The clock reading of the request in progress.</summary>
    public double Now { get; private set; }

    /// <summary>Whether a touch of <paramref name="session"/> at <paramref name="depth"/> continues the request in progress (and counts it).</summary>
    public bool Continues(long session, int depth)
    {
        if (session == _session && depth > _depth && _touches < MaxTouches)
        {
            _touches++;
            return true;
        }

        return false;
    }

    /// <summary>A touch starts a request of <paramref name="session"/> in <paramref name="slot"/> at <paramref name="now"/>.</summary>
    public void Start(long session, int slot, double now)
    {
        _session = session;
        Slot = slot;
        Now = now;
        _touches = 0;
    }

    /// <summary>The latest touch was at <paramref name="depth"/>: a deeper one continues the request.</summary>
    public void Reached(int depth) => _depth = depth;

    /// <summary>The request of <paramref name="session"/>, if in progress, goes on at <paramref name="now"/> (a time Admit just read).</summary>
    public void Retime(long session, double now)
    {
        if (session == _session)
        {
            Now = now;
        }
    }

    /// <summary>A new request of <paramref name="session"/> arrived (one a tier above serves): its request here, if in progress, is over.</summary>
    public void End(long session)
    {
        if (session == _session)
        {
            _session = long.MinValue;
        }
    }

    /// <summary>A slot is forgotten or reused: a request in progress in it is over.</summary>
    public void Forget(int slot)
    {
        if (slot == Slot)
        {
            _session = long.MinValue;
        }
    }
}
