namespace KvTiering.Eviction;

/// <summary>
/// ARC's order over the agent policy's blocks of no session: a list of blocks used once and a list of blocks used
/// again, with the room the first gets learned from which ghost list the misses hit.
/// </summary>
/// <remarks>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (figure 4), as
/// <see cref="ArcPolicy"/> implements it; vLLM ships ARC for its CPU offloading cache. Both lists keep a request's
/// blocks deepest-last (<see cref="TailFirstList"/>, vLLM's tail-first order), so a request leaves from the tip of its
/// chain and never strands a tail behind a missing prefix.
/// </remarks>
internal sealed class AnonymousArcOrder
{
    private const byte InT1 = 1;
    private const byte InT2 = 2;

    private readonly TierView _tier;
    private readonly byte[] _list;
    private readonly ArcDirectory _directory;
    private TailFirstList _t1;
    private TailFirstList _t2;

    public AnonymousArcOrder(TierView tier)
    {
        _tier = tier;
        _list = new byte[tier.Capacity];
        _t1 = new TailFirstList(tier);
        _t2 = new TailFirstList(tier);
        _directory = new ArcDirectory(tier.Capacity, wholeSteps: true);
    }

    /// <summary>The current target size of the blocks-used-once list (ARC's p).</summary>
    public double TargetOnce => _directory.TargetT1;

    /// <summary>A block of no session is offered (a miss): a ghost hit adapts the split before the victim is chosen.</summary>
    public void Offer(in Blocks.BlockKey key) => _directory.OnMiss(key);

    /// <summary>A newcomer joins the once list (the used-again list if a ghost), a hit the used-again list.</summary>
    public void Touch(int handle, bool inserted)
    {
        if (!inserted && _list[handle] != 0)
        {
            Remove(handle);
            Add(handle, InT2);
            return;
        }

        Add(handle, _directory.Admitted(_tier.Key(handle)) ? InT2 : InT1);
        _directory.Trim(_t1.Count, _t2.Count);
    }

    public void Remove(int handle)
    {
        if (_list[handle] == InT1)
        {
            _t1.Remove(handle);
        }
        else if (_list[handle] == InT2)
        {
            _t2.Remove(handle);
        }

        _list[handle] = 0;
    }

    /// <summary>ARC's REPLACE: from the once list while it is over its target, else from the used-again list.</summary>
    public int SelectVictim()
    {
        bool fromT1 = _directory.EvictFromT1(_t1.Count);
        int victim = fromT1 ? OldestEvictable.In(in _t1, _tier) : OldestEvictable.In(in _t2, _tier);
        return victim >= 0 ? victim : fromT1 ? OldestEvictable.In(in _t2, _tier) : OldestEvictable.In(in _t1, _tier);
    }

    /// <summary>A block leaves by eviction (whichever order chose it): its key becomes a ghost of the list it left.</summary>
    public void Evicted(int handle)
    {
        if (_list[handle] != 0)
        {
            _directory.Evicted(_tier.Key(handle), _list[handle] == InT1);
        }
    }

    private void Add(int handle, byte list)
    {
        _list[handle] = list;
        if (list == InT1)
        {
            _t1.Touch(handle);
        }
        else
        {
            _t2.Touch(handle);
        }
    }
}
