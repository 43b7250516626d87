namespace KvTiering.Eviction;

/// <summary>
/// First in, first out: blocks leave in the order they entered the tier, and accesses do not reorder them. The
/// baseline that shows how much of LRU's result comes from recency at all.
/// </summary>
public struct FifoPolicy : IEvictionPolicy, IAdmitsAll, IIgnoresChildren, IIgnoresNextUse
{
    private HandleList _queue; // head = newest, tail = oldest
    private TierView _tier;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _queue = new HandleList(tier.Capacity);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle) => _queue.PushFront(handle);

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _queue.Remove(handle);

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        for (int h = _queue.Tail; h >= 0; h = _queue.Previous(h))
        {
            if (_tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
