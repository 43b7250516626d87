using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Evicts one victim: offers it to the tiers below in order, passing over a tier whose device cannot take a write now
/// (<see cref="TierPassOver"/>) or whose policy declines it, makes room in the first that takes it
/// (<see cref="BlockMover.MakeRoom(Tier, bool, bool)"/>, which may evict that tier's own victim in turn) and moves it
/// there (<see cref="VictimMove"/>); when no tier below takes it, it leaves the store. <see cref="BlockMover"/> decides
/// when a tier needs room and which victim goes; this type decides where that victim goes. Call under the lock.
/// </summary>
internal sealed class VictimEviction
{
    private readonly BlockMover _mover;
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly SlotBinding _slots;
    private readonly IPlacementHooks _placement;
    private readonly TierPassOver _passOver;
    private readonly WriteBehind _writeBehind;
    private readonly VictimMove _victimMove;
    private readonly BlockIo _io;
    private readonly bool _placementIsNull; // no router, no ledger: skip the null object's calls on every eviction

    public VictimEviction(BlockMover mover, BlockTable table, Tier[] tiers, SlotBinding slots, IPlacementHooks placement,
        TierPassOver passOver, WriteBehind writeBehind, VictimMove victimMove, BlockIo io)
    {
        _mover = mover;
        _table = table;
        _tiers = tiers;
        _slots = slots;
        _placement = placement;
        _placementIsNull = placement is NoPlacementHooks;
        _passOver = passOver;
        _writeBehind = writeBehind;
        _victimMove = victimMove;
        _io = io;
    }

    /// <summary>
    /// Evicts a victim; <see cref="EvictOutcome.Deferred"/> when its move was deferred into <paramref name="deferred"/>
    /// (see <see cref="BlockMover.MakeRoom(Tier, ref DeferredDemotion, bool)"/>). With <paramref name="hold"/>, a victim
    /// bound for a write-behind tier keeps its slot until the worker has written it (<see cref="WriteBehind.Hold"/>).
    /// With <paramref name="dropDead"/>, a victim the tier's policy knows dead (<see cref="Tier.DropsDead"/>) leaves the
    /// store at once: no lower tier is offered it, so it costs them neither room nor a write. When no lower tier took it
    /// because room there waits on a write in flight (<see cref="BlockMover.InFlight"/>), it stays where it is
    /// (<see cref="EvictOutcome.Blocked"/>) rather than leave the store.
    /// </summary>
    public EvictOutcome Evict(int e, Tier from, bool freeSlot, bool defer, bool hold, bool dropDead, bool waitForWrites,
        ref DeferredDemotion deferred)
    {
        bool blocked = false, unreachable = false;
        _table.SetInFlight(e, true);
        int below = from.Index + 1;
        if (from.DropsDead && dropDead && from.IsDead(_table.Slot[e]))
        {
            // The victim is evictable (unpinned, not moving), so nothing holds it: it is dropped as the last tier's are.
            from.Counters.DeadDrops++;
            below = _tiers.Length;
        }

        for (int t = below; t < _tiers.Length; t++)
        {
            Tier to = _tiers[t];
            int size = _io.PayloadLength(e, from);
            if (_passOver.Unreachable(to, e, from.Index))
            {
                unreachable = true; // staged, it would be dropped when its write fails: passed over instead
                continue;
            }

            if (!to.Admit(_table.Describe(e, to.Index, size, isDemotion: true)))
            {
                to.Counters.Rejections++;
                _placement.Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, from.Index, t);
                continue;
            }

            // The queue full: the victim is written on this path, as into a tier without write-behind, rather than
            // dropped. Waiting for room instead would wait for the worker, which books its writes under the lock this
            // put holds. Either way the slot below is rewritten, so its last block's free is skipped (see MakeRoom).
            bool rewrites = true;
            if (!_writeBehind.TryRent(to, out int buffer))
            {
                to.Counters.WriteBehindOverflows++;
                if (PutTrace.On)
                {
                    PutTrace.AddOverflow();
                }
            }
            else
            {
                rewrites = buffer >= 0;
            }

            int slot = _mover.MakeRoom(to, freeVictimSlot: !rewrites, waitForWrites);
            if (slot < 0)
            {
                _writeBehind.Return(buffer);
                blocked |= slot == BlockMover.InFlight;
                continue;
            }

            return _victimMove.Into(e, from, to, slot, buffer, size, rewrites, freeSlot, defer, hold, ref deferred);
        }

        if (blocked)
        {
            _table.SetInFlight(e, false); // it stays, readable and movable: room below waits on a write in flight
            return EvictOutcome.Blocked;
        }

        from.Counters.Evictions++;
        if (!_placementIsNull)
        {
            _placement.Note(PlacementAction.Evict,
                from.Index == _tiers.Length - 1 ? PlacementReason.EvictionVictim
                : below == _tiers.Length ? PlacementReason.KnownDead
                : unreachable ? PlacementReason.DeviceUnreachable : PlacementReason.LowerTiersRefused, e, from.Index, -1);
        }

        _slots.Unbind(e, from, freeSlot);
        _table.Remove(e);
        return EvictOutcome.Done;
    }
}
