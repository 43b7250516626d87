using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Promotions of a block whose bytes the caller already holds (a lower-tier hit's verified copy), with the byte copies
/// outside the store's lock: under the lock the block is marked in flight (it stays mapped and readable where it is)
/// and a slot is reserved in the target tier, a victim there moving down first without the lock
/// (<see cref="DemotionCopies"/>); the bytes are written into the reserved slot without the lock; back under the lock
/// the block moves only if its entry did not change meanwhile (same stamp, tier and slot, unpinned): a Put, Remove or
/// pin of the same key wins, and the reserved slot goes back. A target whose device cannot take a write now is passed
/// over (<see cref="TierPassOver"/>): the block stays where it is.
/// </summary>
/// <remarks>The rule for promotions ("read the lower tier without the lock, install only if the entry did not change"), applied to the copy into the upper tier as well.</remarks>
internal sealed class PromotionCopies
{
    private const int MaxDeferrals = 4;

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly BlockMover _mover;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly TierPassOver _passOver;

    public PromotionCopies(BlockTable table, Tier[] tiers, TopTierReader top, BlockMover mover, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, TierPassOver passOver)
    {
        _passOver = passOver;
        _table = table;
        _tiers = tiers;
        _top = top;
        _mover = mover;
        _slots = slots;
        _counters = counters;
        _placement = placement;
    }

    /// <summary>
    /// Moves entry <paramref name="e"/> (stamp <paramref name="stamp"/>, at <paramref name="fromSlot"/> of
    /// <paramref name="from"/>) up to tier <paramref name="target"/> with <paramref name="bytes"/>, its verified
    /// payload. Call without the lock; true when it moved.
    /// </summary>
    public bool Promote(TieredKvStore store, int e, long stamp, Tier from, int fromSlot, int target, ReadOnlySpan<byte> bytes)
    {
        Tier to = _tiers[target];
        var victim = default(DeferredDemotion);
        int slot;
        int deferrals = 0;
        BlockKey key;
        BlockKey parent;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            // A target that cannot take a write now is passed over before anything is asked of it or moved out of it.
            if (!Unchanged(e, stamp, from, fromSlot) || _table.Pins[e] != 0 || _table.InFlight[e]
                || _passOver.Unreachable(to, e, from.Index)
                || !to.Admit(_table.Describe(e, to.Index, bytes.Length, isDemotion: false)))
            {
                return false;
            }

            key = _table.Keys[e];
            parent = _table.Parents[e];
            _table.SetInFlight(e, true); // no other move picks it; it stays readable where it is
            if (!TryReserve(e, to, ref victim, ref deferrals, out slot))
            {
                return false;
            }

            _top.EnterReader(); // Dispose (which needs the lock) waits for the copies below
        }

        while (true)
        {
            IOException? failure = null;
            try
            {
                if (victim.Active)
                {
                    _mover.CopyDemotion(ref victim);
                }
                else
                {
                    to.Device.Write(slot, key, parent, bytes);
                }
            }
            catch (IOException ex)
            {
                failure = ex;
            }
            finally
            {
                _top.ExitReader();
            }

            using (_top.EnterWrite())
            {
                store.ThrowIfDisposed();
                if (!victim.Active)
                {
                    return Publish(e, stamp, from, fromSlot, to, slot, bytes.Length, failure);
                }

                _mover.CompleteDemotion(ref victim);
                if (!Unchanged(e, stamp, from, fromSlot))
                {
                    return false;
                }

                if (_passOver.Unreachable(to, e, from.Index)) // it went down while the victim moved: no more room is made
                {
                    _table.SetInFlight(e, false);
                    return false;
                }

                if (!TryReserve(e, to, ref victim, ref deferrals, out slot))
                {
                    return false;
                }

                _top.EnterReader();
            }
        }
    }

    /// <summary>A slot in <paramref name="to"/> (reserved) or a victim's move that frees one; false (and the entry movable again) when neither.</summary>
    private bool TryReserve(int e, Tier to, ref DeferredDemotion victim, ref int deferrals, out int slot)
    {
        slot = deferrals < MaxDeferrals ? _mover.MakeRoom(to, ref victim) : _mover.MakeRoom(to);
        if (slot >= 0)
        {
            to.Reserved++;
            return true;
        }

        if (victim.Active)
        {
            deferrals++;
            return true;
        }

        _table.SetInFlight(e, false);
        return false;
    }

    /// <summary>Binds the entry to its new slot unless it changed meanwhile (that change wins) or the write failed.</summary>
    private bool Publish(int e, long stamp, Tier from, int fromSlot, Tier to, int slot, int length, IOException? failure)
    {
        to.Reserved--;
        bool unchanged = Unchanged(e, stamp, from, fromSlot);
        if (unchanged)
        {
            _table.SetInFlight(e, false);
        }

        if (failure is not null && unchanged)
        {
            _mover.WriteFailed(e, to, slot, failure); // the block stays where it was
            return false;
        }

        if (!unchanged || failure is not null || _table.Pins[e] != 0)
        {
            if (failure is not null)
            {
                to.MarkWriteFailed(slot, failure);
            }

            to.FreeSlot(slot);
            to.ReturnSlot(slot);
            return false;
        }

        from.Counters.Promotions++;
        _placement.Note(PlacementAction.Promote, PlacementReason.PromotedOnHit, e, from.Index, to.Index);
        _mover.UnbindMoved(e, from);
        _slots.Bind(e, to, slot);
        _counters.Write(to, length);
        to.OnInsert(slot);
        return true;
    }

    private bool Unchanged(int e, long stamp, Tier from, int fromSlot) => _table.IsAt(e, stamp, from.Index, fromSlot);
}
