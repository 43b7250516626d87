namespace KvTiering.Eviction;

/// <summary>
/// A recency list in which a request's blocks lie deepest-last: the order <see cref="LruTailFirstPolicy"/> keeps
/// and <see cref="ClockPolicy"/> sweeps. The victim scan starts at <see cref="Tail"/>, so a burst leaves tail first.
/// </summary>
/// <remarks>The burst rule is spelled out on <see cref="LruTailFirstPolicy"/>.</remarks>
internal struct TailFirstList
{
    private readonly HandleList _list; // head = most recent burst
    private readonly TierView _tier;
    private int _last;                 // the deepest resident block of the open burst, or -1
    private int _lastDepth;
    private long _lastSession;
    private bool _burstOpen;
    private readonly bool _byParent;

    /// <param name="tier">The tier whose blocks the list orders.</param>
    /// <param name="byParent">
    /// Continue a burst only with a child of its last block. For a policy that is not told of hits: a request that
    /// hit a prefix and then inserts new blocks cannot be seen to touch the prefix, so "same session, deeper" would
    /// file the new blocks behind the session's previous request, wherever that now lies.
    /// </param>
    public TailFirstList(TierView tier, bool byParent = false)
    {
        _tier = tier;
        _list = new HandleList(tier.Capacity);
        _last = -1;
        _byParent = byParent;
    }

    public readonly int Tail => _list.Tail;

    public readonly int Count => _list.Count;

    public readonly int Previous(int handle) => _list.Previous(handle);

    /// <summary>Places a block that is not in the list, by the burst rule.</summary>
    public void Touch(int handle)
    {
        bool continues;
        if (_byParent)
        {
            // Depth and session play no part here: not read (a clock miss would load them for nothing).
            continues = _burstOpen && _last >= 0 && _tier.Parent(handle) == _last;
        }
        else
        {
            int depth = _tier.Depth(handle);
            long session = _tier.Session(handle);
            continues = _burstOpen && depth > _lastDepth && session == _lastSession && _last >= 0;
            _lastDepth = depth;
            _lastSession = session;
        }

        if (continues)
        {
            _list.InsertAfter(_last, handle);
        }
        else
        {
            _list.PushFront(handle);
        }

        _last = handle;
        _burstOpen = true;
    }

    /// <summary>Moves a listed block by the burst rule, as if it had just been touched.</summary>
    public void Retouch(int handle)
    {
        Remove(handle);
        Touch(handle);
    }

    /// <summary>
    /// Moves a listed block to the head without joining or opening a burst (a second chance): a request still being
    /// offered keeps its blocks together behind it.
    /// </summary>
    public void Requeue(int handle)
    {
        if (handle == _last)
        {
            _burstOpen = false;
        }

        _list.MoveToFront(handle);
    }

    /// <summary>
    /// Adds a block that is not in the list at the head without joining or opening a burst (a block moved in from
    /// another queue); a burst still open goes on behind its last block.
    /// </summary>
    public void Enqueue(int handle) => _list.PushFront(handle);

    public void Remove(int handle)
    {
        if (handle == _last)
        {
            _last = _list.Previous(handle);
        }

        _list.Remove(handle);
    }
}
