using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A promotion done whole under the store's lock: the synchronous lower-tier hit's (<see cref="TierChain"/>) and a
/// replay's. Room is made in the target tier (its victim moving down through <see cref="BlockMover"/>), the block's
/// bytes are written there, and only then does the lower copy let go, so a failed write leaves the block where it
/// was. Promotions whose copies run outside the lock go through <see cref="PromotionCopies"/> instead.
/// </summary>
internal sealed class LockedPromotion
{
    private readonly BlockMover _mover;
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly WriteBehind _writeBehind;
    private readonly StoreLog _log;
    private readonly bool _metadataOnly;
    private readonly TierPassOver _passOver;

    public LockedPromotion(BlockMover mover, BlockTable table, Tier[] tiers, TopTierReader top, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, TierPassOver passOver, WriteBehind writeBehind, StoreLog log,
        bool metadataOnly)
    {
        _passOver = passOver;
        _mover = mover;
        _table = table;
        _tiers = tiers;
        _top = top;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _writeBehind = writeBehind;
        _log = log;
        _metadataOnly = metadataOnly;
    }

    /// <summary>
    /// Moves a block up to <paramref name="targetIndex"/>; it stays where it is if no room can be made, or if the
    /// target's device cannot take a write now (<see cref="TierPassOver"/>: a promotion is optional, so no victim is
    /// demoted for it and no write is tried). The lower tier's read is booked here unless the caller already read (and
    /// booked) the bytes it hands over.
    /// </summary>
    public void Promote(int e, Tier from, int targetIndex, ReadOnlySpan<byte> bytesInHand, bool readBooked)
    {
        Tier to = _tiers[targetIndex];
        if (_passOver.Unreachable(to, e, from.Index))
        {
            return;
        }

        int size = _mover.PayloadLength(e, from);
        if (!to.Admit(_table.Describe(e, to.Index, size, isDemotion: false)))
        {
            return;
        }

        _table.SetInFlight(e, true);
        int slot = _mover.MakeRoom(to);
        if (slot < 0)
        {
            _table.SetInFlight(e, false);
            return;
        }

        ReadOnlySpan<byte> bytes = bytesInHand;
        if (_metadataOnly)
        {
            if (!readBooked)
            {
                _counters.Read(from, 0);
            }
        }
        else if (bytes.IsEmpty && !_mover.TryReadForMove(e, from, out bytes))
        {
            to.ReturnSlot(slot);
            return;
        }

        // Write before letting go of the lower copy: a failed write leaves the block where it was.
        BlockKey key = _table.Keys[e];
        bool paused = !_metadataOnly && _top.Pause(); // the slot is unmapped, the source unchanged: readers may overlap
        try
        {
            to.Device.Write(slot, key, _table.Parents[e], bytes);
        }
        catch (IOException ex)
        {
            _top.Resume(paused);
            to.Counters.WriteFailures++;
            _log.PromotionFailures.Failed(to.Index, to.Profile.Name, key, from.Profile.Name, ex);
            _placement.Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, from.Index, to.Index);
            to.MarkWriteFailed(slot, ex);
            to.ReturnSlot(slot);
            _table.SetInFlight(e, false);
            return;
        }

        _top.Resume(paused);
        from.Counters.Promotions++;
        _placement.Note(PlacementAction.Promote, PlacementReason.PromotedOnHit, e, from.Index, to.Index);
        if (from.WriteBehind)
        {
            _writeBehind.UnbindMoved(e, from); // its device free off the lock
        }
        else
        {
            _slots.Unbind(e, from);
        }

        _slots.Bind(e, to, slot);
        _counters.Write(to, bytes.Length);
        to.OnInsert(slot);
        _table.SetInFlight(e, false);
    }
}
