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
public struct ArcPolicy : IEvictionPolicy, IIgnoresChildren, IIgnoresNextUse
{
    private const byte InT1 = 1;
    private const byte InT2 = 2;

    private TierView _tier;
    private HandleList _t1;   // head = most recent
    private HandleList _t2;   // head = most recent
    private ArcDirectory _directory;
    private byte[] _list;

    /// <summary>The current target size of T1 (the adaptive parameter p).</summary>
    public readonly double TargetT1 => _directory.TargetT1;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _t1 = new HandleList(tier.Capacity);
        _t2 = new HandleList(tier.Capacity);
        _directory = new ArcDirectory(tier.Capacity);
        _list = new byte[tier.Capacity];
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block)
    {
        // A request for a block that is not in T1 ∪ T2: cases II to IV of the paper. Adapt p now, before REPLACE.
        _directory.OnMiss(block.Key);
        return true;
    }

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        if (_directory.Admitted(_tier.Key(handle)))
        {
            _list[handle] = InT2;
            _t2.PushFront(handle);
        }
        else
        {
            _list[handle] = InT1;
            _t1.PushFront(handle);
        }

        _directory.Trim(_t1.Count, _t2.Count);
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
        bool fromT1 = _directory.EvictFromT1(_t1.Count);
        int victim = fromT1 ? OldestEvictable.In(_t1, _tier) : OldestEvictable.In(_t2, _tier);
        if (victim < 0)
        {
            fromT1 = !fromT1;
            victim = fromT1 ? OldestEvictable.In(_t1, _tier) : OldestEvictable.In(_t2, _tier);
        }

        if (victim >= 0)
        {
            _directory.Evicted(_tier.Key(victim), fromT1);
        }

        return victim;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
