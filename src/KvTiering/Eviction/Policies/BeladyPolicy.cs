namespace KvTiering.Eviction;

/// <summary>
/// Belady's MIN, the offline optimum the harness measures online policies against: the victim is the block whose
/// next use lies farthest ahead (never used again first), and a newcomer that would itself be that block bypasses a
/// full tier. It needs the oracle's next-use times, which only a replay of a known trace has.
/// </summary>
/// <remarks>
/// Belady, "A Study of Replacement Algorithms for a Virtual-Storage Computer", IBM Systems Journal 5(2), 1966.
/// <see cref="TierView.NextUse"/> is the reference index of the block's next use (<see cref="long.MaxValue"/> for
/// never). Ties go to the deeper block, so of a sequence nobody needs soon the tail goes before the head that other
/// sequences share. The ranking lives in an indexed heap keyed by (next use, depth), largest first, fixed up on every
/// insert and access (the store writes the new next use before it reports the access). In a full tier,
/// <see cref="Admit"/> declines a block never used again, and one that ranks before the current farthest evictable
/// block. Without an oracle every next use is <see cref="long.MaxValue"/> and the policy degrades to evicting the
/// deepest block and bypassing every newcomer of a full tier.
/// </remarks>
public struct BeladyPolicy : IEvictionPolicy, IIgnoresChildren
{
    private TierView _tier;
    private HandleHeap<Rank> _heap;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _heap = new HandleHeap<Rank>(tier.Capacity);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block)
    {
        if (_tier.Count < _tier.Capacity)
        {
            return true;
        }

        if (block.NextUse == long.MaxValue)
        {
            return false;
        }

        int farthest = _heap.FirstEvictable(_tier);
        return farthest < 0 || new Rank(block.NextUse, block.Depth).CompareTo(_heap.KeyOf(farthest)) >= 0;
    }

    /// <inheritdoc />
    public readonly void OnInsert(int handle) => _heap.Set(handle, RankOf(handle));

    /// <inheritdoc />
    public readonly void OnAccess(int handle) => _heap.Set(handle, RankOf(handle));

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _heap.Remove(handle);

    /// <inheritdoc />
    public readonly int SelectVictim() => _heap.FirstEvictable(_tier);

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly Rank RankOf(int handle) => new(_tier.NextUse(handle), _tier.Depth(handle));

    /// <summary>Eviction order: a later next use first, then a deeper block first (a reversed comparison, for a min-heap).</summary>
    private readonly struct Rank(long nextUse, int depth) : IComparable<Rank>
    {
        private readonly long _nextUse = nextUse;
        private readonly int _depth = depth;

        public int CompareTo(Rank other)
        {
            int order = other._nextUse.CompareTo(_nextUse);
            return order != 0 ? order : other._depth.CompareTo(_depth);
        }
    }
}
