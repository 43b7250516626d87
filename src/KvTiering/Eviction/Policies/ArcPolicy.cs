using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// ARC, the adaptive replacement cache: blocks seen once live in T1, blocks seen again in T2, and the keys of blocks
/// recently evicted from each are remembered in the ghost lists B1 and B2. A miss that hits B1 says T1 was too small
/// and grows its target p; a miss that hits B2 shrinks it. The victim comes from T1 while T1 is above p, else T2.
/// </summary>
/// <remarks>
/// <para>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (figure 4). The store asks
/// for a victim before the newcomer is inserted, so the newcomer's ghost membership and the adaptation of p are taken
/// in <see cref="Admit"/>; REPLACE's choice then uses them in <see cref="SelectVictim"/>; the directory bounds
/// (|T1| + |B1| ≤ c, |T1| + |T2| + |B1| + |B2| ≤ 2c) are restored after the insert by forgetting the oldest ghost
/// keys, which drops exactly the keys the paper's case IV drops. Blocks that leave for other reasons than eviction
/// (promotion, removal) leave no ghost.
/// </para>
/// <para>
/// p is an integer adapted by max(1, |B2| / |B1|) and max(1, |B1| / |B2|) with integer division. The ghosts are
/// fixed-size <see cref="GhostSet"/>s of c keys each. Pinned blocks are passed over; when the chosen list has no
/// evictable block the other one gives the victim.
/// </para>
/// </remarks>
public struct ArcPolicy : IEvictionPolicy
{
    private const byte InT1 = 1;
    private const byte InT2 = 2;
    private const byte NoGhost = 0;
    private const byte GhostB1 = 1;
    private const byte GhostB2 = 2;

    private TierView _tier;
    private HandleList _t1;   // head = most recent
    private HandleList _t2;   // head = most recent
    private GhostSet _b1;
    private GhostSet _b2;
    private byte[] _list;
    private int _capacity;
    private int _p;
    private byte _pendingGhost;

    /// <summary>The current target size of T1 (the adaptive parameter p).</summary>
    public readonly int TargetT1 => _p;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _capacity = tier.Capacity;
        _t1 = new HandleList(_capacity);
        _t2 = new HandleList(_capacity);
        _b1 = new GhostSet(_capacity);
        _b2 = new GhostSet(_capacity);
        _list = new byte[_capacity];
        _p = 0;
    }

    /// <inheritdoc />
    public bool Admit(in BlockInfo block)
    {
        // A request for a block that is not in T1 ∪ T2: cases II to IV of the paper. Adapt p now, before REPLACE.
        if (_b1.Contains(block.Key))
        {
            _pendingGhost = GhostB1;
            _p = Math.Min(_capacity, _p + Math.Max(1, _b2.Count / Math.Max(1, _b1.Count)));
        }
        else if (_b2.Contains(block.Key))
        {
            _pendingGhost = GhostB2;
            _p = Math.Max(0, _p - Math.Max(1, _b1.Count / Math.Max(1, _b2.Count)));
        }
        else
        {
            _pendingGhost = NoGhost;
        }

        return true;
    }

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        BlockKey key = _tier.Key(handle);
        _pendingGhost = NoGhost;
        if (_b1.Remove(key) || _b2.Remove(key))
        {
            _list[handle] = InT2;
            _t2.PushFront(handle);
        }
        else
        {
            _list[handle] = InT1;
            _t1.PushFront(handle);
        }

        TrimDirectory();
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        if (_list[handle] == InT1)
        {
            _t1.Remove(handle);
            _list[handle] = InT2;
            _t2.PushFront(handle);
        }
        else
        {
            _t2.MoveToFront(handle);
        }
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        if (_list[handle] == InT1)
        {
            _t1.Remove(handle);
        }
        else
        {
            _t2.Remove(handle);
        }

        _list[handle] = 0;
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        // REPLACE(x, p): from T1 when it exceeds its target (or meets it and x is a B2 ghost), else from T2.
        int t1 = _t1.Count;
        bool fromT1 = t1 > 0 && (t1 > _p || (_pendingGhost == GhostB2 && t1 == _p));
        int victim = fromT1 ? Lru(_t1) : Lru(_t2);
        if (victim < 0)
        {
            fromT1 = !fromT1;
            victim = fromT1 ? Lru(_t1) : Lru(_t2);
        }

        if (victim >= 0)
        {
            (fromT1 ? _b1 : _b2).Add(_tier.Key(victim));
        }

        return victim;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly int Lru(HandleList list)
    {
        for (int h = list.Tail; h >= 0; h = list.Previous(h))
        {
            if (_tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    private readonly void TrimDirectory()
    {
        while (_t1.Count + _b1.Count > _capacity && _b1.RemoveOldest())
        {
        }

        while (_t1.Count + _t2.Count + _b1.Count + _b2.Count > 2 * _capacity && (_b2.RemoveOldest() || _b1.RemoveOldest()))
        {
        }
    }
}
