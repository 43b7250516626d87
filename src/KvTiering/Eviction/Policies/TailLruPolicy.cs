using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// Tail-Optimized LRU over vLLM's tail-first recency order (<see cref="LruTailFirstPolicy"/>): blocks whose loss cannot push a conversation's next turn over its latency threshold go first,
/// in LRU order; only when none is near the tail of the recency list does plain LRU decide. A block of a conversation
/// now <c>D</c> blocks deep is such a block when it lies in the last <see cref="FreeTailBlocks"/> blocks (depth greater
/// than D − FreeTailBlocks): recomputing those on the next turn stays within the threshold.
/// </summary>
/// <remarks>
/// <para>
/// Zhang, Li, Moallemi and Peng, "Tail-Optimized Caching for LLM Inference", arXiv 2510.15152 (NeurIPS 2025): T-LRU
/// evicts, ahead of LRU, the cached tokens of a conversation beyond L − (ξ − q̂), where ξ is the token budget the
/// latency SLO allows and q̂ the expected next prompt; a conversation shorter than that is free entirely. Here the
/// conversation is the session, L its deepest block so far, and ξ − q̂ one parameter in blocks (default 8: the paper's
/// 200 ms SLO is about 2,000 prefill tokens on its setup, less a typical prompt, in 128-token blocks; a choice, since
/// the paper sets ξ per deployment).
/// </para>
/// <para>
/// The paper scans all conversations; this scan looks at the 256 least recent evictable blocks and takes the least
/// recent free one among them, so an eviction costs O(1).
/// </para>
/// </remarks>
public struct TailLruPolicy : IEvictionPolicy
{
    private const int Window = 256;
    private TierView _tier;
    private TailFirstList _list;
    private long[] _session;
    private SessionMap<TailLruSession> _sessions;

    /// <summary>Creates the policy with 8 free tail blocks.</summary>
    public TailLruPolicy()
        : this(8)
    {
    }

    /// <summary>Creates the policy.</summary>
    /// <param name="freeTailBlocks">ξ − q̂ in blocks: how many of a conversation's last blocks may go without harm.</param>
    public TailLruPolicy(int freeTailBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(freeTailBlocks);
        FreeTailBlocks = freeTailBlocks;
        _tier = null!;
        _session = [];
        _sessions = null!;
    }

    /// <summary>ξ − q̂ in blocks.</summary>
    public int FreeTailBlocks { get; }

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new TailFirstList(tier);
        _session = new long[tier.Capacity];
        _sessions = new SessionMap<TailLruSession>(tier.Capacity);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        long session = _tier.Session(handle);
        _session[handle] = session;
        Grow(ref _sessions.Added(session), handle);
        _list.Touch(handle);
    }

    /// <inheritdoc />
    public void OnAccess(int handle)
    {
        Grow(ref _sessions.Get(_session[handle]), handle);
        _list.Retouch(handle);
    }

    /// <inheritdoc />
    public void OnRemove(int handle)
    {
        _list.Remove(handle);
        _sessions.Removed(_session[handle], 0);
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        int lru = -1;
        int looked = 0;

        // A request's blocks lie together in the list, so consecutive candidates mostly share a session: look its
        // state up once per run of the same session instead of once per block.
        long session = long.MinValue;
        int freeAbove = int.MinValue;
        for (int h = _list.Tail; h >= 0 && looked < Window; h = _list.Previous(h))
        {
            if (!_tier.IsEvictable(h))
            {
                continue;
            }

            looked++;
            if (lru < 0)
            {
                lru = h;
            }

            if (_session[h] != session)
            {
                session = _session[h];
                freeAbove = FreeAbove(session);
            }

            if (_tier.Depth(h) > freeAbove)
            {
                return h;
            }
        }

        return lru;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    /// <summary>The depth above which a block of <paramref name="session"/> is free to go.</summary>
    private readonly int FreeAbove(long session)
    {
        ref TailLruSession state = ref _sessions.Find(session);
        return Unsafe.IsNullRef(ref state) ? -1 : state.Length - 1 - FreeTailBlocks;
    }

    private readonly void Grow(ref TailLruSession state, int handle)
    {
        int depth = _tier.Depth(handle);
        if (depth + 1 > state.Length)
        {
            state.Length = depth + 1;
        }
    }
}
