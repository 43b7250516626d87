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

    /// <summary>Forgets every block, ghost and the learned split (the pool stops keeping this order while S3-FIFO's is in charge).</summary>
    public void Clear()
    {
        for (int h = _t1.Tail; h >= 0; h = _t1.Tail)
        {
            _t1.Remove(h);
            _list[h] = 0;
        }

        for (int h = _t2.Tail; h >= 0; h = _t2.Tail)
        {
            _t2.Remove(h);
            _list[h] = 0;
        }

        _directory.Reset(0);
    }

    /// <summary>
    /// Rebuilds the order from S3-FIFO's over the same blocks (this order cleared): the main queue's blocks, used
    /// again, become T2 and the small queue's T1, each oldest at the tail, with p at the small queue's size; no ghosts.
    /// </summary>
    public void Rebuild(AnonymousFifoOrder fifo)
    {
        fifo.Visit(this);
        _directory.Reset(_t1.Count);
    }

    /// <summary>Adds a block not in the order at the head of T1 or (<paramref name="usedAgain"/>) T2, outside the burst rule.</summary>
    public void Seed(int handle, bool usedAgain)
    {
        _list[handle] = usedAgain ? InT2 : InT1;
        if (usedAgain)
        {
            _t2.Enqueue(handle);
        }
        else
        {
            _t1.Enqueue(handle);
        }
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
