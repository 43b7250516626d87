namespace KvTiering.Eviction;

/// <summary>
/// LRU in which a request's tail goes before its head: blocks touched in one burst leave deepest first, as vLLM frees
/// a finished request's blocks (it appends them to its free queue in reverse order, so the tail is reused first and
/// the shared head survives longest).
/// </summary>
/// <remarks>
/// <para>
/// The exact rule: a touch (insert or access) moves the block to the head of the recency list, except when it
/// continues a burst, that is, when it has the same session as the block touched just before it in this tier and a
/// strictly greater depth. Then it goes right behind that block instead. A request that offers blocks 0, 1, …, n in
/// order therefore lies 0, 1, …, n from the head, and the victim scan, which starts at the tail, takes n, n − 1, …
/// before 0: recency by burst first, then depth descending. A touch that is not deeper, or of another session, opens
/// a new burst at the head.
/// </para>
/// <para>
/// The burst always occupies the head of the list up to its last block, so when that block leaves (evicted while
/// the request is still being offered) the one before it becomes the place the next block goes behind.
/// </para>
/// </remarks>
public struct LruTailFirstPolicy : IEvictionPolicy
{
    private TailFirstList _list;
    private TierView _tier;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new TailFirstList(tier);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public void OnInsert(int handle) => _list.Touch(handle);

    /// <inheritdoc />
    public void OnAccess(int handle) => _list.Retouch(handle);

    /// <inheritdoc />
    public void OnRemove(int handle) => _list.Remove(handle);

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
