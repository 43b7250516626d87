namespace KvTiering.Eviction;

/// <summary>
/// Least recently used, over an intrusive doubly-linked list of handles kept in two int arrays (no nodes, no
/// allocation after attach). Insert and access move a handle to the head; the victim is the evictable handle nearest
/// the tail.
/// </summary>
public struct LruPolicy : IEvictionPolicy, IAdmitsAll, IIgnoresChildren, IIgnoresNextUse
{
    private HandleList _list;
    private TierView _tier;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle) => _list.PushFront(handle);

    /// <inheritdoc />
    public readonly void OnAccess(int handle) => _list.MoveToFront(handle);

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _list.Remove(handle);

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        for (int h = _list.Tail; h >= 0; h = _list.Previous(h))
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
