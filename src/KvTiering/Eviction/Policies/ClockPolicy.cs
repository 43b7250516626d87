namespace KvTiering.Eviction;

/// <summary>
/// CLOCK over the tail-first order of <see cref="LruTailFirstPolicy"/>: a hit only sets the block's reference bit,
/// so a hit in a memory top tier takes no lock and queues nothing. The victim scan starts at the tail; a block hit
/// since the scan last passed gets a second chance (its bit cleared, moved to the head), and the first block not hit
/// is the victim. New blocks enter as in lru-tail-first, a request's blocks deepest last, so a chain still leaves tail
/// first and second chances keep that order.
/// </summary>
/// <remarks>
/// CLOCK is Corbató's ("A Paging Experiment with the Multics System", 1968); moving a second-chance block to the head
/// is the "FIFO with reinsertion" form, which keeps the same victims as a circular hand. It approximates LRU: every
/// block hit since the scan last passed outlives every block that was not, but blocks hit in the same round leave in
/// list order rather than hit order. Use it where hits dominate and many threads read: the hit costs a one-byte
/// store (see <see cref="TierView.UseReferenceBits"/>).
/// </remarks>
public struct ClockPolicy : IEvictionPolicy, IAdmitsAll, IIgnoresChildren, IIgnoresNextUse
{
    private TailFirstList _list;
    private TierView _tier;

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new TailFirstList(tier, byParent: true);
        tier.UseReferenceBits();
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public void OnInsert(int handle) => _list.Touch(handle);

    /// <summary>Never called: the tier keeps reference bits, so a hit sets the block's bit instead.</summary>
    public readonly void OnAccess(int handle)
    {
    }

    /// <inheritdoc />
    public void OnRemove(int handle) => _list.Remove(handle);

    /// <inheritdoc />
    public int SelectVictim()
    {
        int h = _list.Tail;
        for (int steps = (2 * _list.Count) + 1; steps > 0 && h >= 0; steps--)
        {
            int next = _list.Previous(h);
            if (_tier.IsEvictable(h))
            {
                if (!_tier.IsReferenced(h))
                {
                    _tier.PrefetchVictim(next); // where the next scan starts: the new tail
                    return h;
                }

                _tier.ClearReferenced(h);
                _list.Requeue(h);
            }

            // Requeued blocks wait at the head, so walking on towards it reaches them again after the rest.
            h = next >= 0 ? next : _list.Tail;
        }

        return -1;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
