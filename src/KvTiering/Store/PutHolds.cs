using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A reserved put's holds of the store's lock (<see cref="ReservedPut"/>): the first, which adds the pending block and
/// reserves its slot (<see cref="PutReservation"/>); and one after each copy outside the lock, which completes a
/// victim's move and reserves again, or publishes the block. Each hold is lent the write-behind job slot promised to
/// the put before the lock (<see cref="WriteBehindRoom"/>), so the hold's demotion takes that slot and no other, and
/// is timed when puts are traced (<see cref="PutTrace"/>).
/// </summary>
internal sealed class PutHolds
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly BlockMover _mover;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly WriteBehind _writeBehind;
    private readonly PutReservation _reservation;
    private readonly WriteBehindRoom _room;

    public PutHolds(BlockTable table, Tier[] tiers, TopTierReader top, BlockMover mover, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, WriteBehind writeBehind, PutReservation reservation, WriteBehindRoom room)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _mover = mover;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _writeBehind = writeBehind;
        _reservation = reservation;
        _room = room;
    }

    /// <summary>The first lock hold: true when the caller has bytes to copy (a store reader is then announced).</summary>
    public bool Begin(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context,
        ref PendingPut pending, out PutResult result)
    {
        long asked = PutTrace.Now();
        using (_top.EnterWrite())
        {
            long granted = PutTrace.On ? PutTrace.AddLockWait(asked) : 0;
            bool copies;
            _room.Lend(pending.Room); // this hold's demotion takes the job slot promised to the put
            try
            {
                copies = Reserve(store, key, parent, kv, context, ref pending, out result);
            }
            finally
            {
                pending.Room = _room.TakeBack(pending.Room);
            }

            if (PutTrace.On)
            {
                PutTrace.AddLockHeld(granted);
            }

            return copies;
        }
    }

    /// <summary>The first lock hold's work (<see cref="Begin"/>). Call under the lock.</summary>
    private bool Reserve(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context,
        ref PendingPut pending, out PutResult result)
    {
        store.ThrowIfDisposed();
        _counters.Puts++;
        if (!_reservation.TryReserve(key, parent, kv, context, ref pending, out result))
        {
            return false;
        }

        _top.EnterReader(); // Dispose (which needs the lock) waits for the copies outside it
        return true;
    }

    /// <summary>
    /// The lock hold after a copy (or a wait for a write-behind booking): completes the victim's move and reserves
    /// again (true: copy again, a store reader announced), or publishes the block (false, with <paramref name="result"/>).
    /// </summary>
    public bool Next(TieredKvStore store, ref PendingPut pending, int size, IOException? failure, ref PutResult result)
    {
        long asked = PutTrace.Now();
        using (_top.EnterWrite())
        {
            long granted = PutTrace.On ? PutTrace.AddLockWait(asked) : 0;
            bool again;
            _room.Lend(pending.Room);
            try
            {
                again = Continue(store, ref pending, size, failure, ref result);
            }
            finally
            {
                pending.Room = _room.TakeBack(pending.Room);
            }

            if (PutTrace.On)
            {
                PutTrace.AddLockHeld(granted);
            }

            return again;
        }
    }

    /// <summary>The lock hold's work after a copy (<see cref="Next"/>). Call under the lock.</summary>
    private bool Continue(TieredKvStore store, ref PendingPut pending, int size, IOException? failure, ref PutResult result)
    {
        store.ThrowIfDisposed();
        if (pending.Victim.Active)
        {
            _mover.CompleteDemotion(ref pending.Victim);
        }
        else if (pending.Slot >= 0)
        {
            if (pending.Buffer >= 0 && _writeBehind.IsClosed && _reservation.IsPending(pending))
            {
                // The store is closing and its queue takes no more writes: the bytes go to the device on this path.
                _writeBehind.Return(pending.Buffer);
                pending.Buffer = -1;
                _top.EnterReader();
                return true;
            }

            result = Publish(ref pending, size, failure);
            return false;
        }

        // A victim's move completed, or the put waited for a booking (no slot yet): reserve again.
        if (!_reservation.TryResume(ref pending, size, out result))
        {
            return false;
        }

        _top.EnterReader();
        return true;
    }

    /// <summary>Binds the block to its slot now that its bytes are in, unless a Remove took it meanwhile.</summary>
    private PutResult Publish(ref PendingPut pending, int size, IOException? failure)
    {
        Tier tier = _tiers[pending.Tier];
        int slot = pending.Slot;
        tier.Reserved--;
        if (!_reservation.IsPending(pending))
        {
            _writeBehind.Return(pending.Buffer);
            _mover.FreeUnmapped(tier, slot);
            return PutResult.Stored; // stored, then removed by a Remove that ran meanwhile
        }

        int e = pending.Entry;
        if (failure is not null)
        {
            _mover.WriteFailed(e, tier, slot, failure);
            _table.Remove(e);
            return PutResult.Dropped;
        }

        _counters.Write(tier, size);
        if (pending.Buffer >= 0)
        {
            _writeBehind.QueuePut(e, tier, slot, pending.Buffer, size); // served from the staged copy until it lands
        }
        else
        {
            _slots.Bind(e, tier, slot);
        }

        tier.OnInsert(slot);
        _table.SetInFlight(e, false);
        tier.Counters.Inserts++;
        _placement.Note(PlacementAction.Admit, pending.Tier == pending.StartTier ? pending.Reason : PlacementReason.HigherTierRefused,
            e, -1, pending.Tier);
        return PutResult.Stored;
    }
}
