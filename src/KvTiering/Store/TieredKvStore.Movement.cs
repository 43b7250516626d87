using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>Admits a new block into the first tier from <paramref name="startTier"/> down that takes it.</summary>
    private PutResult AdmitNew(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context, int startTier,
        PlacementReason entryReason)
    {
        int e = _table.Add(key, parent, context.Depth, context.Session, context.NextUse);
        if (e < 0)
        {
            ThrowHelper.ThrowInvalidOperation("The block table is full; this is a bug in the store's capacity accounting.");
        }

        _table.Labels[e] = context.Labels;
        _table.InFlight[e] = true;
        for (int t = startTier; t < _tiers.Length; t++)
        {
            Tier tier = _tiers[t];
            if (!tier.Admit(Describe(e, tier, kv.Length, isDemotion: false)))
            {
                tier.Counters.Rejections++;
                Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, -1, t);
                continue;
            }

            int slot = MakeRoom(tier);
            if (slot < 0)
            {
                continue;
            }

            if (!WriteInto(e, tier, slot, kv))
            {
                _table.Remove(e);
                return PutResult.Dropped;
            }

            _table.InFlight[e] = false;
            tier.Counters.Inserts++;
            Note(PlacementAction.Admit, t == startTier ? entryReason : PlacementReason.HigherTierRefused, e, -1, t);
            return PutResult.Stored;
        }

        _table.Remove(e);
        return PutResult.Rejected;
    }

    /// <summary>A free slot in <paramref name="tier"/>, evicting (demoting) its policy's victim if needed; -1 if none can go.</summary>
    /// <param name="tier">The tier to make room in.</param>
    /// <param name="freeVictimSlot">
    /// False when the caller rewrites the slot anyway (a write-behind demotion): the victim's slot is then not freed on
    /// the device, which saves a slow tier an I/O under the lock; until the new write lands the old block stays
    /// verifiable there, which a restart may recover, as a freed-but-unzeroed slot could be anyway.
    /// </param>
    private int MakeRoom(Tier tier, bool freeVictimSlot = true)
    {
        int slot = tier.TakeSlot();
        if (slot >= 0)
        {
            return slot;
        }

        // A victim whose write-behind is still in flight frees no slot yet (it stays reserved): try the next one.
        for (int tries = 0; tries < 4 && slot < 0; tries++)
        {
            int victim = tier.SelectVictim();
            if (victim < 0)
            {
                return -1;
            }

            int e = (uint)victim < (uint)tier.Capacity ? tier.SlotToEntry[victim] : -1;
            if (e < 0 || !_table.IsEvictable(e))
            {
                ThrowBadVictim(tier, victim);
            }

            Evict(e, tier, freeVictimSlot);
            slot = tier.TakeSlot();
        }

        return slot;
    }

    /// <summary>Moves a victim one tier down (or further, if a lower tier declines), or drops it from the store.</summary>
    private void Evict(int e, Tier from, bool freeSlot = true)
    {
        _table.InFlight[e] = true;
        for (int t = from.Index + 1; t < _tiers.Length; t++)
        {
            Tier to = _tiers[t];
            int size = PayloadLength(e, from);
            if (!to.Admit(Describe(e, to, size, isDemotion: true)))
            {
                to.Counters.Rejections++;
                Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, from.Index, t);
                continue;
            }

            int buffer = -1;
            if (to.WriteBehind && !_syncDemotions && _writeBehind is { IsClosed: false } queue && (buffer = queue.TryRent()) < 0)
            {
                // The queue is full: the put does not wait for the slow tier; the block goes further down or leaves.
                to.Counters.WriteBehindDrops++;
                Note(PlacementAction.Reject, PlacementReason.WriteBehindFull, e, from.Index, t);
                continue;
            }

            int slot = MakeRoom(to, freeVictimSlot: buffer < 0);
            if (slot < 0)
            {
                ReturnBuffer(buffer);
                continue;
            }

            if (!TryReadForMove(e, from, out ReadOnlySpan<byte> bytes))
            {
                if (buffer >= 0)
                {
                    ReturnBuffer(buffer);
                    to.Device.Free(slot); // its last block's free was skipped for the write that now never comes
                }

                to.ReturnSlot(slot);
                return; // the corrupt block is gone already
            }

            if (buffer >= 0)
            {
                Stage(e, from, to, slot, buffer, bytes);
                return;
            }

            // The lower copy is written before the source lets go, so the block stays readable where it was meanwhile.
            if (!WriteInto(e, to, slot, bytes, bind: false))
            {
                from.Counters.Evictions++;
                Note(PlacementAction.Evict, PlacementReason.WriteFailure, e, from.Index, -1);
                Unbind(e, from, freeSlot);
                _table.Remove(e);
                return;
            }

            Unbind(e, from, freeSlot);
            Bind(e, to, slot);
            to.OnInsert(slot);
            from.Counters.Demotions++;
            Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, t);
            _table.InFlight[e] = false;
            return;
        }

        from.Counters.Evictions++;
        Note(PlacementAction.Evict,
            from.Index == _tiers.Length - 1 ? PlacementReason.EvictionVictim : PlacementReason.LowerTiersRefused, e, from.Index, -1);
        Unbind(e, from, freeSlot);
        _table.Remove(e);
    }

    private void ReturnBuffer(int buffer)
    {
        if (buffer >= 0)
        {
            _writeBehind!.Return(buffer);
        }
    }

    /// <summary>
    /// Moves a block up to <paramref name="targetIndex"/>; it stays where it is if no room can be made. The lower
    /// tier's read is booked here unless the caller already read (and booked) the bytes it hands over.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Promote(int e, Tier from, int targetIndex, ReadOnlySpan<byte> bytesInHand, bool readBooked)
    {
        Tier to = _tiers[targetIndex];
        int size = PayloadLength(e, from);
        if (!to.Admit(Describe(e, to, size, isDemotion: false)))
        {
            return;
        }

        _table.InFlight[e] = true;
        int slot = MakeRoom(to);
        if (slot < 0)
        {
            _table.InFlight[e] = false;
            return;
        }

        ReadOnlySpan<byte> bytes = bytesInHand;
        if (MetadataOnly)
        {
            if (!readBooked)
            {
                _counters.Read(from, 0);
            }
        }
        else if (bytes.IsEmpty && !TryReadForMove(e, from, out bytes))
        {
            to.ReturnSlot(slot);
            return;
        }

        // Write before letting go of the lower copy: a failed write leaves the block where it was.
        BlockKey key = _table.Keys[e];
        bool paused = !MetadataOnly && _seq.Pause(); // the slot is unmapped, the source unchanged: readers may overlap
        try
        {
            to.Device.Write(slot, key, _table.Parents[e], bytes);
        }
        catch (IOException ex)
        {
            _seq.Resume(paused);
            to.Counters.WriteFailures++;
            Log.PromotionWriteFailed(_logger, _logName, to.Profile.Name, key, from.Profile.Name, ex);
            Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, from.Index, to.Index);
            to.ReturnSlot(slot);
            _table.InFlight[e] = false;
            return;
        }

        _seq.Resume(paused);
        from.Counters.Promotions++;
        Note(PlacementAction.Promote, PlacementReason.PromotedOnHit, e, from.Index, to.Index);
        Unbind(e, from);
        Bind(e, to, slot);
        _counters.Write(to, bytes.Length);
        to.OnInsert(slot);
        _table.InFlight[e] = false;
    }

    /// <summary>
    /// Writes a block's bytes into a free slot and (unless <paramref name="bind"/> is false) binds it; on an I/O failure
    /// the slot goes back and false returns. The write runs outside the seqlock's odd window: no entry maps the slot yet,
    /// so no lock-free reader can be reading it.
    /// </summary>
    private bool WriteInto(int e, Tier tier, int slot, ReadOnlySpan<byte> bytes, bool bind = true)
    {
        bool paused = !MetadataOnly && _seq.Pause();
        try
        {
            tier.Device.Write(slot, _table.Keys[e], _table.Parents[e], bytes);
        }
        catch (IOException ex)
        {
            _seq.Resume(paused);
            tier.Counters.WriteFailures++;
            Log.WriteFailed(_logger, _logName, tier.Profile.Name, _table.Keys[e], ex);
            Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, tier.Index);
            tier.ReturnSlot(slot);
            return false;
        }

        _seq.Resume(paused);
        _counters.Write(tier, bytes.Length);
        if (bind)
        {
            Bind(e, tier, slot);
            tier.OnInsert(slot);
        }

        return true;
    }

    /// <summary>The bytes of a block about to move; false (and the block dropped) when they fail verification.</summary>
    private bool TryReadForMove(int e, Tier from, out ReadOnlySpan<byte> bytes)
    {
        int slot = _table.Slot[e];
        if (MetadataOnly)
        {
            bytes = default;
            _counters.Read(from, 0);
            return true;
        }

        if (_table.Staging[e] is >= 0 and int staging)
        {
            bytes = _writeBehind!.Staged(staging); // its write-behind is in flight: the staging copy is the block
            _counters.Read(from, bytes.Length);
            return true;
        }

        if (from.Direct is { } memory)
        {
            bytes = memory.Payload(slot);
            _counters.Read(from, bytes.Length);
            return true;
        }

        bool paused = _seq.Pause(); // the slot stays mapped and unchanged: readers may overlap the read
        int read = from.Device.Read(slot, _table.Keys[e], _scratch);
        _seq.Resume(paused);
        if (read < 0)
        {
            OnCorruptBlock(e, from);
            bytes = default;
            return false;
        }

        bytes = _scratch.AsSpan(0, read);
        _counters.Read(from, read);
        return true;
    }

    /// <summary>The payload length of entry <paramref name="e"/> in <paramref name="tier"/>, from its staging copy while that is the block.</summary>
    private int PayloadLength(int e, Tier tier) =>
        _table.Staging[e] is >= 0 and int staging ? _writeBehind!.Staged(staging).Length : tier.Device.PayloadLength(_table.Slot[e]);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnCorruptBlock(int e, Tier tier)
    {
        tier.Counters.ChecksumFailures++;
        Log.ChecksumFailure(_logger, _logName, tier.Profile.Name, _table.Keys[e]);
        Note(PlacementAction.Drop, PlacementReason.ChecksumFailure, e, tier.Index, -1);
        if (_table.Pins[e] > 0)
        {
            tier.PinnedCount--;
        }

        Unbind(e, tier);
        _table.Remove(e);
    }

    private BlockInfo Describe(int e, Tier tier, int size, bool isDemotion)
    {
        int p = _table.LiveParent(e);
        int parentHandle = p >= 0 && _table.Tier[p] == tier.Index ? _table.Slot[p] : -1;
        return new BlockInfo(_table.Keys[e], _table.Parents[e], parentHandle, _table.Depth[e], _table.Session[e], size,
            _table.NextUse[e], isDemotion);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Bind(int e, Tier tier, int slot)
    {
        _table.Place(e, tier.Index, slot);
        tier.SlotToEntry[slot] = e;
        _eventSink.OnStored(_table.Keys[e], _table.Parents[e], tier.Index);
    }

    private void Unbind(int e, Tier tier, bool freeSlot = true)
    {
        _eventSink.OnRemoved(_table.Keys[e], tier.Index);
        Release(e, tier, freeSlot);
    }

    /// <summary>
    /// Lets go of a block's slot, telling nobody (<see cref="Unbind"/> and <see cref="Clear"/> report it). A slot whose
    /// write-behind is still in flight stays out of use until the worker ends it (the device contract: no Free during
    /// I/O on the slot).
    /// </summary>
    private void Release(int e, Tier tier, bool freeSlot = true)
    {
        int slot = _table.Slot[e];
        tier.OnRemove(slot);
        if (_table.Staging[e] >= 0)
        {
            // The block leaves (or moves up) while its write is in flight; the worker frees the slot when it ends.
            tier.SlotToEntry[slot] = -1;
            tier.Reserved++;
            _table.Staging[e] = -1;
        }
        else if (tier.SlotIo[slot] > 0)
        {
            // Reads of it are in flight outside the lock; the last of them frees the slot.
            tier.SlotToEntry[slot] = -1;
            tier.Reserved++;
            tier.Orphaned[slot] = true;
        }
        else
        {
            if (freeSlot)
            {
                tier.Device.Free(slot);
            }

            tier.ReturnSlot(slot);
        }

        _table.Place(e, -1, -1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadVictim(Tier tier, int victim) =>
        ThrowHelper.ThrowInvalidOperation(
            $"Policy '{tier.Policy.Name}' of tier {tier.Index} chose victim {victim}, which is not an evictable resident handle.");
}
