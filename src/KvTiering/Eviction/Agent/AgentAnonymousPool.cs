using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// The order in which blocks of no known session (session 0: a trace or server that names no sessions) leave the
/// agent policy: ARC's adaptive split between blocks used once and blocks used again, over tail-first recency lists.
/// With no session there is nothing to predict a return from, and the only evidence that a block will be wanted again
/// is that it has been: a prefix many requests share (a system prompt, a popular document) outlives a one-off prompt's
/// blocks. How much room the blocks used once get is learned from which ghost list misses hit.
/// </summary>
/// <remarks>
/// <para>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (figure 4), as
/// <see cref="ArcPolicy"/> implements it; vLLM ships ARC for its CPU offloading cache, and the frequency protection is
/// the idea SLRU (vLLM PR #38984) gets its lead from at small sizes. ARC rather than SLRU or S3-FIFO because its
/// split adapts: a fixed protected share loses at large sizes, where a conversation's next turn needs its last turn's
/// blocks, seen once (SLRU 40% of the LRU→Belady gap below LRU at 5% of the Mooncake conversation trace; docs/policies/agent.md).
/// </para>
/// <para>
/// Both lists keep a request's blocks deepest-last (<see cref="TailFirstList"/>, vLLM's tail-first order), so a
/// request leaves from the tip of its chain and never strands a tail behind a missing prefix.
/// </para>
/// </remarks>
internal sealed class AgentAnonymousPool
{
    private const byte InT1 = 1;
    private const byte InT2 = 2;

    private readonly TierView _tier;
    private readonly byte[] _list;
    private readonly ArcDirectory _directory;
    private TailFirstList _t1;
    private TailFirstList _t2;

    public AgentAnonymousPool(TierView tier)
    {
        _tier = tier;
        _list = new byte[tier.Capacity];
        _t1 = new TailFirstList(tier);
        _t2 = new TailFirstList(tier);
        _directory = new ArcDirectory(tier.Capacity);
    }

    /// <summary>Blocks in the pool.</summary>
    public int Count => _t1.Count + _t2.Count;

    /// <summary>The current target size of the blocks-used-once list (ARC's p).</summary>
    public int TargetOnce => _directory.TargetT1;

    public bool Contains(int handle) => _list[handle] != 0;

    /// <summary>A block of no session is offered (a miss): a ghost hit adapts the split before the victim is chosen.</summary>
    public void Offer(in BlockKey key) => _directory.OnMiss(key);

    /// <summary>A block of no session is touched: a newcomer joins the once list (the used-again list if a ghost), a hit the used-again list.</summary>
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

    /// <summary>ARC's REPLACE: from the once list while it is over its target, else from the used-again list; the victim's key becomes a ghost.</summary>
    public int SelectVictim()
    {
        bool fromT1 = _directory.EvictFromT1(_t1.Count);
        int victim = fromT1 ? OldestEvictable.In(in _t1, _tier) : OldestEvictable.In(in _t2, _tier);
        if (victim < 0)
        {
            fromT1 = !fromT1;
            victim = fromT1 ? OldestEvictable.In(in _t1, _tier) : OldestEvictable.In(in _t2, _tier);
        }

        if (victim >= 0)
        {
            _directory.Evicted(_tier.Key(victim), fromT1);
        }

        return victim;
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
