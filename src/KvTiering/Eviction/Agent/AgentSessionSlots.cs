using System.Numerics;

namespace KvTiering.Eviction;

/// <summary>
/// The session records of <see cref="AgentSessionTable"/>: which slot each session id has, the records themselves,
/// free slots, and which slots hold blocks. One array of <see cref="AgentSession"/> grown in one place
/// (<see cref="Take"/>), so a new field cannot be missed by a resize. Slot 0 is the shared segment, never taken.
/// </summary>
internal sealed class AgentSessionSlots
{
    /// <summary>The slot of the shared segment: blocks more than one session uses.</summary>
    public const int Shared = 0;

    /// <summary>Sessions tracked at most; past this the longest-idle empty session's slot is reused.</summary>
    private const int MaxTracked = 1 << 16;

    private readonly Dictionary<long, int> _slotOf = [];
    private AgentSession[] _records = new AgentSession[64];
    private int[] _free = new int[64];
    private int _freeTop;
    private int _count = 1;

    // Per slot, a bit while it holds blocks (Count > 0): a victim scan visits these alone, in slot order, and skips the
    // many tracked sessions whose blocks are gone (a scan over every slot was a seventh of an agent replay).
    private ulong[] _holding = new ulong[1];

    /// <summary>The record of a slot.</summary>
    public ref AgentSession this[int slot] => ref _records[slot];

    /// <summary>The records, indexed by slot; a new array after a <see cref="Take"/> that grew them.</summary>
    public AgentSession[] Records => _records;

    /// <summary>The slot of a tracked session.</summary>
    public bool TryFind(long session, out int slot) => _slotOf.TryGetValue(session, out slot);

    /// <summary>
    /// A slot for a new session: a freed one, a new one, or (past <see cref="MaxTracked"/>) the slot of the
    /// longest-idle session that holds no blocks, which is forgotten. The caller initializes the record. Sessions stay
    /// tracked after their blocks are gone, so a return is observed as a gap, not as a new session.
    /// </summary>
    public int Take(long session)
    {
        int slot = _freeTop > 0 ? _free[--_freeTop] : NewOrRecycled();
        _slotOf[session] = slot;
        return slot;
    }

    /// <summary>A session with no blocks left is forgotten; its slot is reused by the next new session.</summary>
    public void Free(int slot)
    {
        _slotOf.Remove(_records[slot].Id);
        _free[_freeTop++] = slot;
    }

    /// <summary>The slot now holds blocks.</summary>
    public void MarkHolding(int slot) => _holding[slot >> 6] |= 1UL << slot;

    /// <summary>The slot's last block left.</summary>
    public void ClearHolding(int slot) => _holding[slot >> 6] &= ~(1UL << slot);

    /// <summary>The first slot at or after <paramref name="from"/> that holds blocks, or -1.</summary>
    public int NextHolding(int from)
    {
        int w = from >> 6;
        if (w >= _holding.Length)
        {
            return -1;
        }

        ulong bits = _holding[w] & (~0UL << from); // C# shifts by from mod 64: the bits of slots from 'from' on
        while (bits == 0)
        {
            if (++w >= _holding.Length)
            {
                return -1;
            }

            bits = _holding[w];
        }

        return (w << 6) + BitOperations.TrailingZeroCount(bits);
    }

    private int NewOrRecycled()
    {
        if (_count < MaxTracked)
        {
            return New();
        }

        int oldest = -1;
        for (int s = 1; s < _count; s++)
        {
            if (_records[s].Count == 0 && (oldest < 0 || _records[s].LastRequest < _records[oldest].LastRequest))
            {
                oldest = s;
            }
        }

        if (oldest < 0)
        {
            return New();
        }

        _slotOf.Remove(_records[oldest].Id);
        return oldest;
    }

    private int New()
    {
        if (_count == _records.Length)
        {
            int size = _count * 2;
            Array.Resize(ref _records, size);
            Array.Resize(ref _free, size);
            Array.Resize(ref _holding, size / 64);
        }

        return _count++;
    }
}
