namespace KvTiering.Eviction;

/// <summary>
/// LRU over leaves: only a block with no resident child may go, so a cached prefix is always whole and shrinks from
/// its end, the way SGLang's radix cache and TensorRT-LLM's block reuse evict. When no evictable block is a leaf
/// (in a tier whose blocks' children all sit in other tiers, for instance) the least recently used evictable block
/// goes instead.
/// </summary>
/// <remarks>
/// <para>
/// A block is a leaf when <see cref="TierView.ResidentChildren"/> is 0, counting children in every tier. Leaves are
/// picked by an indexed min-heap of touch stamps. The heap holds the handles believed to be leaves; a handle found
/// to have a child when it reaches the top leaves the heap. A handle comes back when it is touched, when a child of
/// it in this tier leaves the tier, and at a sweep: a child in another tier can be dropped without this tier hearing
/// of it, so every <c>Capacity / 8</c> removals the next victim search first re-offers every childless handle. The
/// work stays O(log n) amortized per event rather than a scan over the inner blocks of long sequences.
/// </para>
/// <para>
/// The fallback keeps the policy total: it never declines a victim while an evictable block exists.
/// </para>
/// </remarks>
public struct LeafLruPolicy : IEvictionPolicy
{
    private TierView _tier;
    private HandleList _lru;            // every resident handle, head = most recent
    private HandleHeap<long> _leaves;   // handles believed childless, keyed by touch stamp
    private long[] _stamps;
    private long _clock;
    private int _removalsSinceSweep;
    private int _sweepEvery;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _lru = new HandleList(tier.Capacity);
        _leaves = new HandleHeap<long>(tier.Capacity);
        _stamps = new long[tier.Capacity];
        _sweepEvery = Math.Max(1, tier.Capacity / 8);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        _lru.PushFront(handle);
        _stamps[handle] = ++_clock;
        _leaves.Set(handle, _clock);

        // The parent has a child now; drop it from the leaves early rather than at the top of the heap.
        int parent = _tier.Parent(handle);
        if (parent >= 0)
        {
            _leaves.Remove(parent);
        }
    }

    /// <inheritdoc />
    public void OnAccess(int handle)
    {
        _lru.MoveToFront(handle);
        _stamps[handle] = ++_clock;
        _leaves.Set(handle, _clock);
    }

    /// <inheritdoc />
    public void OnRemove(int handle)
    {
        _lru.Remove(handle);
        _leaves.Remove(handle);
        _removalsSinceSweep++;

        // The parent may have become a leaf (its child is still counted until the store forgets it, so offer it and
        // let the check at the top of the heap decide).
        int parent = _tier.Parent(handle);
        if (parent >= 0 && !_leaves.Contains(parent))
        {
            _leaves.Set(parent, _stamps[parent]);
        }
    }

    /// <inheritdoc />
    public int SelectVictim()
    {
        if (_removalsSinceSweep >= _sweepEvery)
        {
            Sweep();
        }

        int victim = -1;
        int top;
        while ((top = _leaves.Top) >= 0)
        {
            if (!_tier.IsEvictable(top))
            {
                _leaves.StashTop();
            }
            else if (_tier.ResidentChildren(top) > 0)
            {
                _leaves.Remove(top);
            }
            else
            {
                victim = top;
                break;
            }
        }

        _leaves.Unstash();
        if (victim >= 0)
        {
            return victim;
        }

        for (int h = _lru.Tail; h >= 0; h = _lru.Previous(h))
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

    private void Sweep()
    {
        _removalsSinceSweep = 0;
        for (int h = _lru.Tail; h >= 0; h = _lru.Previous(h))
        {
            if (!_leaves.Contains(h) && _tier.ResidentChildren(h) == 0)
            {
                _leaves.Set(h, _stamps[h]);
            }
        }
    }
}
