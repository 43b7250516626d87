using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// Which of a tier's slots are free: a stack a new block's slot is taken from and a freed slot goes back to, with the
/// slots set aside after a write failed for want of space (<see cref="SlotQuarantine"/>) kept off it until a probe
/// lets them back. A slot a tier neither holds a block in nor has free here is reserved (<see cref="Tier.Reserved"/>)
/// or set aside. Call under the store's lock.
/// </summary>
/// <remarks>
/// A mutable struct held in place by its one owner (<see cref="Tier"/>'s field, never copied), as
/// <see cref="BlockIndex"/> is in its table: a replay takes and returns a slot per miss, and reaches the stack with
/// no load through a reference more than when it lay in the tier itself (split out of <c>Tier</c> in reads28, for the
/// size rule; no behaviour changed).
/// </remarks>
internal struct FreeSlotStack
{
    private readonly int[] _free;
    private readonly SlotQuarantine _quarantine;
    private int _top;

    /// <summary>Every slot free, the lowest taken first.</summary>
    public FreeSlotStack(int capacity)
    {
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _top = capacity;
        _quarantine = new SlotQuarantine(capacity);
    }

    /// <summary>Free slots: what <see cref="Take"/> hands out before a set-aside slot is tried.</summary>
    public readonly int Count => _top;

    /// <summary>Slots set aside after a failed write: out of use, holding no block.</summary>
    public readonly int SetAside => _quarantine.Count;

    /// <summary>Whether set-aside slots are out as probes whose writes have not reported (<see cref="Landed"/> has work).</summary>
    public readonly bool Probing => _quarantine.Probing;

    /// <summary>Takes a free slot (a set-aside one whose probe is due, when none is free), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Take(StoreClock? clock)
    {
        if (_top == 0 && (_quarantine.Count == 0 || !RetrySetAside(clock)))
        {
            return -1;
        }

        return _free[--_top];
    }

    /// <summary>A slot no block holds any more: free again, or set aside when its write failed for want of space.</summary>
    public void Return(int slot)
    {
        if (!_quarantine.TryHold(slot))
        {
            _free[_top++] = slot;
        }
    }

    /// <summary>A write into <paramref name="slot"/> failed: for want of space, the slot is set aside when it is returned.</summary>
    public readonly void MarkWriteFailed(int slot, IOException failure, StoreClock? clock)
    {
        if (SlotQuarantine.IsOutOfSpace(failure))
        {
            _quarantine.MarkFailed(slot, clock?.NowSeconds ?? 0);
        }
    }

    /// <summary>A write into <paramref name="slot"/> landed: a probe's says the disk has room (callers check <see cref="Probing"/> first).</summary>
    public readonly void Landed(int slot, StoreClock? clock) => _quarantine.Landed(slot, clock?.NowSeconds ?? 0);

    /// <summary>Marks the given slots taken and every other slot free (recovery of a persistent device).</summary>
    public void Claim(bool[] used)
    {
        _top = 0;
        _quarantine.Clear();
        for (int i = _free.Length - 1; i >= 0; i--)
        {
            if (!used[i])
            {
                _free[_top++] = i;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RetrySetAside(StoreClock? clock) => _quarantine.Release(clock?.NowSeconds ?? 0, _free, ref _top) > 0;
}
