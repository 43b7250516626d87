namespace KvTiering.Eviction;

/// <summary>
/// GreedyDual-Size-Frequency, cost-aware: each block carries a priority H = L + frequency × cost / size and the
/// block with the lowest H goes. The cost of a block is what recomputing it would take, which grows with its position
/// in the sequence (its attention runs over a longer prefix): cost = depth + 1; size is one block. L, the inflation
/// value, is the H of the last victim, so blocks not touched for a while age relative to new arrivals.
/// </summary>
/// <remarks>
/// Cherkasova, "Improving WWW Proxies Performance with Greedy-Dual-Size-Frequency Caching Policy", HP Labs
/// HPL-98-69, 1998. At equal frequency a deep block outlives a shallow one; a block's frequency counts its insert and
/// every access since, and starts over when it enters another tier. The priorities sit in an indexed min-heap
/// (<see cref="HandleHeap{TKey}"/>); pinned blocks are looked past without leaving it.
/// </remarks>
public struct GdsfPolicy : IEvictionPolicy
{
    private TierView _tier;
    private HandleHeap<double> _heap;
    private int[] _frequency;
    private double _inflation;

    /// <summary>The inflation value L: the priority of the last victim.</summary>
    public readonly double Inflation => _inflation;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _heap = new HandleHeap<double>(tier.Capacity);
        _frequency = new int[tier.Capacity];
        _inflation = 0;
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _frequency[handle] = 1;
        _heap.Set(handle, Priority(handle));
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        if (_frequency[handle] < int.MaxValue)
        {
            _frequency[handle]++;
        }

        _heap.Set(handle, Priority(handle));
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _heap.Remove(handle);

    /// <inheritdoc />
    public int SelectVictim()
    {
        int victim = _heap.FirstEvictable(_tier);
        if (victim >= 0)
        {
            _inflation = _heap.KeyOf(victim);
        }

        return victim;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly double Priority(int handle)
    {
        double cost = Math.Max(0, _tier.Depth(handle)) + 1.0;
        return _inflation + (_frequency[handle] * cost);
    }
}
