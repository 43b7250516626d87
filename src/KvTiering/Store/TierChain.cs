using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The chain of tiers and what happens to a block in it: a new block is admitted into the first tier from its entry
/// tier down that takes it, a resident one's access is told to its tier's policy and may promote it, a removed or
/// recomputed one leaves. It decides; <see cref="BlockMover"/> moves the bytes and <see cref="SlotBinding"/> ties
/// entries to slots. Policies see the chain only through their <see cref="TierView"/>. Call under the store's lock.
/// </summary>
internal sealed class TierChain
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly BlockMover _mover;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly PromotionMode _promotion;
    private readonly double _maxPinnedFraction;
    private readonly bool _placementIsNull; // no router, no ledger: skip the null object's calls on every admission
    private readonly TierPassOver _passOver;

    public TierChain(BlockTable table, Tier[] tiers, BlockMover mover, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, TierPassOver passOver, PromotionMode promotion, double maxPinnedFraction, DamagedAtOpen damaged)
    {
        Damaged = damaged;
        _passOver = passOver;
        _maxPinnedFraction = maxPinnedFraction;
        _table = table;
        _tiers = tiers;
        _mover = mover;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _placementIsNull = placement is NoPlacementHooks;
        _promotion = promotion;
    }

    /// <summary>The keys persistent tiers dropped as damaged at open: a miss of one is told as corrupt until it enters again.</summary>
    public DamagedAtOpen Damaged { get; }

    /// <summary>Stores a block not resident yet where placement sends it, or counts a block already resident as an access.</summary>
    public PutResult Put(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        int e = _table.Find(key);
        if (e >= 0)
        {
            TouchResident(e, context, kv);
            return PutResult.AlreadyPresent;
        }

        PlacementReason reason = PlacementReason.TopTier;
        int start = _placementIsNull ? 0 : _placement.EntryTier(key, context, out reason);
        if (start < 0)
        {
            _counters.Bypassed++;
            return PutResult.Rejected;
        }

        return Admit(key, parent, kv, context, start, reason);
    }

    /// <summary>
    /// A put of a block already resident: adopt the caller's context and count it as an access. A promotion it causes
    /// takes the put's own bytes (<paramref name="kv"/>, when their length is the block's) rather than reading the
    /// lower copy: the put vouches for them as for a new block, and the read, under the lock, could wait out a remote
    /// tier's timeout and, failing, would drop the very block the put just handed over.
    /// </summary>
    public void TouchResident(int e, in BlockContext context, ReadOnlySpan<byte> kv = default)
    {
        _table.NoteAccess(e, context);
        int tier = _table.Tier[e];
        if (tier >= 0) // a block another put is still copying in (ReservedPut) is not resident yet
        {
            Tier at = _tiers[tier];
            at.Counters.ResidentPuts++; // also a hit (AccessForPromotion), but no read: counted apart
            ReadOnlySpan<byte> inHand = tier > 0 && !kv.IsEmpty && kv.Length == _mover.PayloadLength(e, at) ? kv : default;
            Access(e, at, inHand, readBooked: false);
        }
    }

    /// <summary>Tells the block's policy of the access and promotes it when it sits below the top tier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Access(int e, Tier tier, ReadOnlySpan<byte> bytesInHand, bool readBooked)
    {
        int target = AccessForPromotion(e, tier);
        if (target >= 0)
        {
            _mover.Promote(e, tier, target, bytesInHand, readBooked);
        }
    }

    /// <summary>
    /// Tells the block's policy of the access; the tier it should be promoted to, or -1. The caller moves it
    /// (<see cref="PromotionCopies"/>, with the copies outside the lock).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int AccessForPromotion(int e, Tier tier)
    {
        tier.Counters.Hits++;
        tier.Touch(_table.Slot[e]);
        if (tier.Index > 0 && _promotion != PromotionMode.Never && _table.Pins[e] == 0)
        {
            // A block promotes no higher than its labels would have let it enter (batch stays off the accelerator).
            int target = Math.Max(_promotion == PromotionMode.ToTop ? 0 : tier.Index - 1, _placement.PromotionCeiling(e));
            if (target < tier.Index)
            {
                return target;
            }
        }

        return -1;
    }

    /// <summary>Admits a new block into the first tier from <paramref name="startTier"/> down that takes it.</summary>
    public PutResult Admit(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context, int startTier,
        PlacementReason entryReason)
    {
        int e = _table.Add(key, parent, context.Depth, context.Session, context.NextUse, context.Labels);
        if (e < 0)
        {
            ThrowHelper.ThrowInvalidOperation("The block table is full; this is a bug in the store's capacity accounting.");
        }

        Damaged.Forget(key); // a copy again: a later miss of it is an eviction's, not the damage's
        _table.SetInFlight(e, true);
        bool unreachable = false;
        for (int t = startTier; t < _tiers.Length; t++)
        {
            Tier tier = _tiers[t];
            if (_passOver.Unreachable(tier, e, -1))
            {
                unreachable = true; // its device cannot take a write now: passed over, as PutReservation does
                continue;
            }

            if (!tier.AdmitsAll && !tier.Admit(_table.Describe(e, tier.Index, kv.Length, isDemotion: false)))
            {
                tier.Counters.Rejections++;
                _placement.Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, -1, t);
                continue;
            }

            int slot = _mover.MakeRoom(tier);
            if (slot < 0)
            {
                continue;
            }

            if (!_mover.WriteInto(e, tier, slot, kv))
            {
                _table.Remove(e);
                return PutResult.Dropped;
            }

            _table.SetInFlight(e, false);
            tier.Counters.Inserts++;
            if (!_placementIsNull)
            {
                _placement.Note(PlacementAction.Admit, t == startTier ? entryReason : PlacementReason.HigherTierRefused, e, -1, t);
            }

            return PutResult.Stored;
        }

        _table.Remove(e);
        return unreachable ? PutResult.Dropped : PutResult.Rejected;
    }

    /// <summary>Removes entry <paramref name="e"/> from whichever tier holds it (pinned or not).</summary>
    public void Remove(int e)
    {
        if (_table.Tier[e] < 0)
        {
            _table.Remove(e); // a pending put's block (ReservedPut): the Remove wins, the put gives its slot back
            return;
        }

        Tier tier = _tiers[_table.Tier[e]];
        _placement.Note(PlacementAction.Remove, PlacementReason.UserRemove, e, tier.Index, -1);
        if (!tier.WriteBehind)
        {
            _slots.Drop(e, tier);
            return;
        }

        // A flash free is a header write: the worker does it off the lock, the slot reserved until it lands.
        if (_table.Pins[e] > 0)
        {
            tier.PinnedCount--;
        }

        _mover.UnbindMoved(e, tier);
        _table.Remove(e);
    }

    /// <summary>
    /// A lower-tier hit the caller is about to serve: true to load it; false when placement chose to recompute it, and
    /// the block has left the store (the caller recomputes and puts it, and the put admits the fresh copy where its
    /// labels route it rather than find the slow copy and promote it by reading it after all).
    /// </summary>
    public bool LoadOrRecompute(int e, Tier tier)
    {
        if (tier.Index == 0 || _placement.LoadsOnHit(e, tier, out PlacementReason reason))
        {
            return true;
        }

        Recompute(e, tier, reason, _table.Labels[e]);
        return false;
    }

    /// <summary>Drops a block placement chose to recompute.</summary>
    public void Recompute(int e, Tier tier, PlacementReason reason, WorkloadLabels labels)
    {
        tier.Counters.Recomputes++;
        _placement.Record(PlacementAction.Recompute, reason, e, tier.Index, -1, labels);
        _slots.Unbind(e, tier);
        _table.Remove(e);
    }

    /// <summary>
    /// Promotes entry <paramref name="e"/> toward the top for a prefetch (as high as placement lets its labels go);
    /// true when it moved. Pinned blocks and blocks already moving stay.
    /// </summary>
    public bool Prefetch(int e)
    {
        if (_table.Pins[e] != 0 || _table.InFlight[e])
        {
            return false;
        }

        int from = _table.Tier[e];
        int target = Math.Max(0, _placement.PromotionCeiling(e));
        if (from <= target)
        {
            return false;
        }

        BlockKey key = _table.Keys[e];
        _mover.Promote(e, _tiers[from], target, default, readBooked: false);
        int now = _table.Find(key);
        return now >= 0 && _table.Tier[now] < from;
    }

    /// <summary>
    /// Adds a pin to entry <paramref name="e"/>; false when its tier's pin budget (a fraction of its capacity, so
    /// eviction always makes progress) is spent.
    /// </summary>
    public bool Pin(int e)
    {
        if (_table.Tier[e] < 0)
        {
            return false; // not resident yet: a put is still copying its bytes in
        }

        if (_table.Pins[e] == 0)
        {
            Tier tier = _tiers[_table.Tier[e]];
            if (tier.PinnedCount + 1 > (int)Math.Floor(tier.Capacity * _maxPinnedFraction))
            {
                return false;
            }

            tier.PinnedCount++;
        }

        _table.AddPin(e);
        return true;
    }

    /// <summary>Releases one pin of entry <paramref name="e"/>; false when it holds none.</summary>
    public bool Unpin(int e)
    {
        if (_table.Pins[e] == 0)
        {
            return false;
        }

        if (_table.ReleasePin(e) == 0)
        {
            _tiers[_table.Tier[e]].PinnedCount--;
        }

        return true;
    }
}
