using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A victim's move into the slot <see cref="BlockMover"/> made for it one tier (or more) down: held for the
/// write-behind worker (no copy), deferred (its copy outside the lock, <see cref="DemotionCopies"/>), staged into a
/// write-behind buffer, or written under the lock, the lower copy before the source lets go. Call under the lock.
/// </summary>
internal sealed class VictimMove
{
    private readonly BlockTable _table;
    private readonly SlotBinding _slots;
    private readonly IPlacementHooks _placement;
    private readonly WriteBehind _writeBehind;
    private readonly DemotionCopies _demotions;
    private readonly BlockIo _io;
    private readonly bool _metadataOnly;

    public VictimMove(BlockTable table, SlotBinding slots, IPlacementHooks placement, WriteBehind writeBehind,
        DemotionCopies demotions, BlockIo io, bool metadataOnly)
    {
        _table = table;
        _slots = slots;
        _placement = placement;
        _writeBehind = writeBehind;
        _demotions = demotions;
        _io = io;
        _metadataOnly = metadataOnly;
    }

    /// <summary>
    /// Moves victim <paramref name="e"/> of <paramref name="from"/> into <paramref name="slot"/> of <paramref name="to"/>
    /// (through write-behind job <paramref name="buffer"/> when it is not -1; <paramref name="rewrites"/>: the slot's
    /// last block was not freed, since it is rewritten); the arguments after are <see cref="BlockMover"/>'s eviction's.
    /// </summary>
    public EvictOutcome Into(int e, Tier from, Tier to, int slot, int buffer, int size, bool rewrites, bool freeSlot, bool defer,
        bool hold, ref DeferredDemotion deferred)
    {
        // A held victim frees its slot only when its write lands, so a put that holds one evicts a second victim now,
        // which needs a job slot of its own; with none to spare (a full queue, writers32) that one would be written on
        // the put's path, so a put's victim is held only while another slot is free, else staged (a copy outside the lock).
        if (hold && buffer >= 0 && _writeBehind.CanHoldRented(from) && (!defer || _writeBehind.HasSpare) && _slots.CanReserve(e, from))
        {
            _writeBehind.Hold(e, from, to, slot, buffer, size); // no copy: the worker writes from the held slot
            return EvictOutcome.Done;
        }

        // Into a lower slot, or a write-behind staging buffer (buffer >= 0): either copy runs outside the lock.
        if (defer && !_metadataOnly && from.Direct is not null && _table.Staging[e] < 0)
        {
            _demotions.Begin(e, from, to, slot, buffer, size, ref deferred); // the copy runs outside the lock
            return EvictOutcome.Deferred;
        }

        if (!_io.TryReadForMove(e, from, out ReadOnlySpan<byte> bytes))
        {
            _writeBehind.Return(buffer);
            if (rewrites)
            {
                to.FreeSlot(slot); // its last block's free was skipped for the write that now never comes
            }

            to.ReturnSlot(slot);
            return EvictOutcome.Done; // the unreadable block is gone already (a move cannot wait for an unreachable device)
        }

        if (buffer >= 0)
        {
            _writeBehind.Stage(e, from, to, slot, buffer, bytes);
            return EvictOutcome.Done;
        }

        // The lower copy is written before the source lets go, so the block stays readable where it was meanwhile.
        if (!_io.WriteInto(e, to, slot, bytes, bind: false))
        {
            from.Counters.Evictions++;
            _placement.Note(PlacementAction.Evict, PlacementReason.WriteFailure, e, from.Index, -1);
            _slots.Unbind(e, from, freeSlot);
            _table.Remove(e);
            return EvictOutcome.Done;
        }

        _slots.Unbind(e, from, freeSlot);
        _slots.Bind(e, to, slot);
        to.OnDemotedInsert(slot);
        from.Counters.Demotions++;
        _placement.Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, to.Index);
        _table.SetInFlight(e, false);
        return EvictOutcome.Done;
    }
}
