using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A payload put's reservation (<see cref="ReservedPut"/>), under the store's lock: the new block's entry added as
/// pending and a slot reserved for it in the first tier that admits it, or a victim's move that frees one; where that
/// tier writes behind, a write-behind staging buffer rented for the block's bytes too (none free: the put writes the
/// device on its path, counted in <see cref="TierStatistics.WriteBehindOverflows"/>).
/// </summary>
internal sealed class PutReservation
{
    private const int MaxDeferrals = 4; // victims one put waits for before making room under the lock
    private const int MaxWaits = 64;    // bookings one put waits for before it evicts victims still in flight

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TierChain _chain;
    private readonly BlockMover _mover;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly WriteBehind _writeBehind;
    private readonly TierPassOver _passOver;

    public PutReservation(BlockTable table, Tier[] tiers, TierChain chain, BlockMover mover, StoreCounters counters,
        IPlacementHooks placement, TierPassOver passOver, WriteBehind writeBehind)
    {
        _passOver = passOver;
        _table = table;
        _tiers = tiers;
        _chain = chain;
        _mover = mover;
        _counters = counters;
        _placement = placement;
        _writeBehind = writeBehind;
    }

    /// <summary>
    /// Under the lock: counts a resident block as an access (promoting it from <paramref name="kv"/>, the put's own
    /// bytes), or adds the new block as pending and reserves its slot (or a victim's move that frees one). True when
    /// the caller has bytes to copy.
    /// </summary>
    public bool TryReserve(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context, ref PendingPut pending, out PutResult result)
    {
        int e = _table.Find(key);
        if (e >= 0)
        {
            _chain.TouchResident(e, context, kv);
            result = PutResult.AlreadyPresent;
            return false;
        }

        int start = _placement.EntryTier(key, context, out PlacementReason reason);
        if (start < 0)
        {
            _counters.Bypassed++;
            result = PutResult.Rejected;
            return false;
        }

        e = _table.Add(key, parent, context.Depth, context.Session, context.NextUse, context.Labels);
        if (e < 0)
        {
            ThrowHelper.ThrowInvalidOperation("The block table is full; this is a bug in the store's capacity accounting.");
        }

        _chain.Damaged.Forget(key); // a copy again: a later miss of it is an eviction's, not the damage's
        _table.SetInFlight(e, true); // pending: tier -1, bound to nothing until published
        pending.Entry = e;
        pending.Stamp = _table.Stamps[e];
        pending.StartTier = start;
        pending.Reason = reason;
        pending.Buffer = -1;
        return TryPlace(ref pending, start, kv.Length, admitted: false, out result);
    }

    /// <summary>After a victim's move: the pending block's slot, or another victim's move, unless a Remove took the block.</summary>
    public bool TryResume(ref PendingPut pending, int size, out PutResult result)
    {
        if (!IsPending(pending))
        {
            result = PutResult.Stored; // removed while room was made for it: the Remove, which came later, wins
            return false;
        }

        return TryPlace(ref pending, pending.Tier, size, admitted: true, out result);
    }

    /// <summary>
    /// The first tier from <paramref name="first"/> down that admits the block and has (or is freeing) a slot. A tier
    /// whose device cannot take a write now (<see cref="Tier.TakesWritesNow"/>: a remote server down) is passed over as
    /// a declining policy's is; when no tier takes the block and one was passed over so, the put is
    /// <see cref="PutResult.Dropped"/> (a fault kept it out), else <see cref="PutResult.Rejected"/>.
    /// </summary>
    private bool TryPlace(ref PendingPut pending, int first, int size, bool admitted, out PutResult result)
    {
        int e = pending.Entry;
        bool unreachable = false;
        for (int t = first; t < _tiers.Length; t++, admitted = false)
        {
            Tier tier = _tiers[t];
            if (_passOver.Unreachable(tier, e, -1))
            {
                // Staged, it would be answered Stored and dropped when the worker's write fails after the reply.
                unreachable = true;
                continue;
            }

            if (!admitted && !tier.Admit(_table.Describe(e, tier.Index, size, isDemotion: false)))
            {
                tier.Counters.Rejections++;
                _placement.Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, -1, t);
                continue;
            }

            bool wait = pending.Waits < MaxWaits;
            int slot = pending.Deferrals < MaxDeferrals
                ? _mover.MakeRoom(tier, ref pending.Victim, wait)
                : _mover.MakeRoom(tier, waitForWrites: wait);
            if (slot == BlockMover.InFlight)
            {
                // The room waits on a write in flight: wait for the worker's next booking, outside the lock, and ask
                // this tier again, rather than evict blocks that are still being written.
                pending.Tier = t;
                pending.Slot = -1;
                pending.Waits++;
                pending.Booking = _writeBehind.NextBooking();
                result = default;
                return true;
            }

            if (slot >= 0 || pending.Victim.Active)
            {
                if (slot >= 0)
                {
                    tier.Reserved++; // held for the pending block: not resident yet
                    if (!_writeBehind.TryRent(tier, out pending.Buffer))
                    {
                        tier.Counters.WriteBehindOverflows++; // the queue is full: written on the put's path
                        if (PutTrace.On)
                        {
                            PutTrace.AddOverflow();
                        }
                    }
                }

                pending.Tier = t;
                pending.Slot = slot;
                pending.Deferrals += pending.Victim.Active ? 1 : 0;
                result = default;
                return true;
            }
        }

        _table.Remove(e);
        result = unreachable ? PutResult.Dropped : PutResult.Rejected;
        return false;
    }

    /// <summary>Whether the pending block's entry is still the one this put added and still unbound.</summary>
    public bool IsPending(in PendingPut pending) =>
        _table.Stamps[pending.Entry] == pending.Stamp && _table.Tier[pending.Entry] < 0;
}
