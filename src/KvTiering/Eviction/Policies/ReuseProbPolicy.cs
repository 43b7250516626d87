using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// Reuse probability per request category ("KVCache Cache in the Wild"): each category's reuse times are fitted with
/// an exponential, and the victim is the block least likely to be used again given how long it has been idle; at
/// equal probability the deeper block goes, so a sequence's head outlives its tail.
/// </summary>
/// <remarks>
/// <para>
/// Wang et al., "KVCache Cache in the Wild: Characterizing and Optimizing KVCache Cache at a Large Cloud Provider",
/// USENIX ATC 2025: reuse probability differs by workload category and follows an exponential in the reuse time;
/// the policy ranks by the predicted probability and prefers keeping a request's head blocks. The trace's categories
/// (API customer, to-C chat …) are not in our traces; the categories here are what they carry: how the response ended
/// (tool call, end of turn, unknown, from the hints) × first turn or later turn.
/// </para>
/// <para>
/// A request starts at its depth-0 block; its end is counted in its category then, re-counted when a hint says how it
/// ended, and its reuse is seen when the session's next request starts. The probability is ranked over the 64 least
/// recent evictable blocks (a sampled ranking, as Redis's approximated LRU), so an eviction costs O(1).
/// </para>
/// </remarks>
public struct ReuseProbPolicy : IEvictionPolicy
{
    private const int Window = 64;
    private TierView _tier;
    private HandleList _list;
    private long[] _session;
    private double[] _touched;
    private SessionMap<ReuseProbSession> _sessions;
    private ReuseStatistics _statistics;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
        _session = new long[tier.Capacity];
        _touched = new double[tier.Capacity];
        _sessions = new SessionMap<ReuseProbSession>(tier.Capacity);
        _statistics = new ReuseStatistics();
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        long session = _tier.Session(handle);
        _session[handle] = session;
        Touch(ref _sessions.Added(session), handle);
        _list.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        Touch(ref _sessions.Get(_session[handle]), handle);
        _list.MoveToFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        _list.Remove(handle);
        _sessions.Removed(_session[handle], 0);
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        double now = _tier.Now;
        int best = -1;
        double bestProbability = double.PositiveInfinity;
        int bestDepth = -1;
        int looked = 0;
        for (int h = _list.Tail; h >= 0 && looked < Window; h = _list.Previous(h))
        {
            if (!_tier.IsEvictable(h))
            {
                continue;
            }

            looked++;
            ref ReuseProbSession state = ref _sessions.Find(_session[h]);
            byte category = Unsafe.IsNullRef(ref state) ? (byte)0 : state.Category;
            double probability = _statistics.ReuseProbability(category, now - _touched[h]);
            int depth = _tier.Depth(h);
            if (probability < bestProbability || (probability == bestProbability && depth > bestDepth))
            {
                best = h;
                bestProbability = probability;
                bestDepth = depth;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
        ref ReuseProbSession state = ref _sessions.Find(session);
        if (Unsafe.IsNullRef(ref state) || hint is not (SessionHint.Paused or SessionHint.AwaitingUser))
        {
            return;
        }

        state.Ending = hint == SessionHint.Paused ? (byte)1 : (byte)2;
        state.EndAt = _tier.Now;
        if (state.Pending)
        {
            _statistics.Unended(state.Category);
            state.Category = ReuseStatistics.CategoryOf(state.Ending, state.Turns);
            _statistics.Ended(state.Category);
        }
    }

    private readonly void Touch(ref ReuseProbSession state, int handle)
    {
        double now = _tier.Now;
        _touched[handle] = now;
        if (_tier.Depth(handle) == 0)
        {
            // A new request of the session: the previous one's reuse is seen now, and this one's end is counted.
            if (state.Pending)
            {
                _statistics.Returned(state.Category, now - state.EndAt);
            }

            state.Turns++;
            state.Ending = 0;
            state.Category = ReuseStatistics.CategoryOf(0, state.Turns);
            state.Pending = true;
            _statistics.Ended(state.Category);
        }

        if (state.Ending == 0)
        {
            state.EndAt = now; // without a hint the request ends at its last touch
        }
    }
}
