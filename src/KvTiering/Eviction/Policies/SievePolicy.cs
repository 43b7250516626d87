namespace KvTiering.Eviction;

/// <summary>
/// SIEVE: a FIFO queue with one visited bit per block and a hand that sweeps from the oldest block towards the
/// newest. A hit only sets the bit; the hand clears set bits as it passes and evicts the first block whose bit is
/// clear, then stays where it stopped. New blocks enter at the head, so a one-time scan is swept out quickly while
/// blocks hit since the hand last passed survive.
/// </summary>
/// <remarks>
/// Zhang et al., "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for Web Caches", NSDI 2024.
/// The hand passes pinned and in-flight blocks without clearing their bits. It wraps from the head back to the tail,
/// and gives up (returns -1) after two full turns find nothing evictable.
/// </remarks>
public struct SievePolicy : IEvictionPolicy, IAdmitsAll, IIgnoresChildren, IIgnoresNextUse
{
    private HandleList _queue;  // head = newest, tail = oldest
    private bool[] _visited;
    private TierView _tier;
    private int _hand;          // next handle the hand looks at, or -1 to start from the tail

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _queue = new HandleList(tier.Capacity);
        _visited = new bool[tier.Capacity];
        _hand = -1;
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _visited[handle] = false;
        _queue.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle) => _visited[handle] = true;

    /// <inheritdoc />
    public void OnRemove(int handle)
    {
        if (handle == _hand)
        {
            // The hand moves on towards the head, as after an eviction in the paper.
            _hand = _queue.Previous(handle);
        }

        _queue.Remove(handle);
    }

    /// <inheritdoc />
    public int SelectVictim()
    {
        int h = _hand >= 0 ? _hand : _queue.Tail;
        for (int steps = 2 * _queue.Count + 1; steps > 0 && h >= 0; steps--)
        {
            if (_tier.IsEvictable(h))
            {
                if (!_visited[h])
                {
                    _hand = h;
                    return h;
                }

                _visited[h] = false;
            }

            h = _queue.Previous(h);
            if (h < 0)
            {
                h = _queue.Tail;
            }
        }

        _hand = h;
        return -1;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
