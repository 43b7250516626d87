using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Victims' moves one tier down whose byte copy runs outside the store's lock, so a put that evicts holds the lock for
/// metadata only and a second writer does not wait behind the copy. Under the lock the victim stays mapped to its
/// source slot and in flight (no other move picks it), a slot is reserved for it below, and the source slot's I/O count
/// keeps it from being freed or rewritten; the copy then runs unlocked; back under the lock the victim moves only if
/// its entry did not change (same stamp, tier and slot, unpinned): a Remove, a promotion or a pin meanwhile wins, and the
/// reserved slot goes back. A victim bound for a write-behind tier is copied into its staging buffer instead and, once
/// back under the lock, published to <see cref="WriteBehind"/> (whose worker writes the reserved slot later).
/// </summary>
/// <remarks>
/// The copy reads a slot that stays mapped and unchanged and writes one no entry maps, so lock-free readers need no odd
/// seqlock window for it; the rebind under the lock bumps the version, so a reader that began on the source slot
/// before it fails validation and retries.
/// </remarks>
internal sealed class DemotionCopies
{
    private readonly BlockTable _table;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly StoreLog _log;
    private readonly WriteBehind _writeBehind;

    public DemotionCopies(BlockTable table, SlotBinding slots, StoreCounters counters, IPlacementHooks placement, StoreLog log,
        WriteBehind writeBehind)
    {
        _writeBehind = writeBehind;
        _table = table;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _log = log;
    }

    /// <summary>
    /// Records the move of victim <paramref name="e"/> from its slot in <paramref name="from"/> into <paramref name="slot"/>
    /// of <paramref name="to"/> (through write-behind staging buffer <paramref name="buffer"/> when it is not -1: the
    /// worker writes the slot later). Call under the lock.
    /// </summary>
    public void Begin(int e, Tier from, Tier to, int slot, int buffer, int size, ref DeferredDemotion move)
    {
        int source = _table.Slot[e];
        SlotBinding.BeginSlotIo(from, source);
        to.Reserved++; // the target slot holds no block until the move completes
        _counters.Read(from, size);
        move = new DeferredDemotion
        {
            Active = true,
            Entry = e,
            Stamp = _table.Stamps[e],
            From = from,
            FromSlot = source,
            To = to,
            ToSlot = slot,
            Buffer = buffer,
            Length = size,
            Key = _table.Keys[e],
            Parent = _table.Parents[e],
        };
    }

    /// <summary>
    /// Copies the victim's bytes into its reserved slot, or into its staging buffer. Call without the lock (a store
    /// reader announced, so Dispose waits).
    /// </summary>
    public void Copy(ref DeferredDemotion move)
    {
        ReadOnlySpan<byte> bytes = move.From.Direct!.Payload(move.FromSlot);
        if (move.Buffer >= 0)
        {
            bytes.CopyTo(_writeBehind.StagingBuffer(move.Buffer));
            return;
        }

        try
        {
            long since = PutTrace.Now();
            move.To.Device.Write(move.ToSlot, move.Key, move.Parent, bytes);
            if (PutTrace.On)
            {
                PutTrace.AddDeviceWrite(since);
            }
        }
        catch (IOException ex)
        {
            move.Failure = ex;
        }
    }

    /// <summary>Moves the victim into its new slot if its entry did not change meanwhile, else gives the slot back. Call under the lock.</summary>
    public void Complete(ref DeferredDemotion move)
    {
        move.Active = false;
        int e = move.Entry;
        Tier from = move.From;
        Tier to = move.To;
        to.Reserved--;
        bool left = SlotBinding.EndSlotIo(from, move.FromSlot);
        bool same = !left && _table.IsAt(e, move.Stamp, from.Index, move.FromSlot);
        if (!same || _table.Pins[e] != 0 || (move.Buffer >= 0 && _writeBehind.IsClosed))
        {
            // Removed, cleared, promoted or pinned while its bytes were copied (or the store is closing): that wins,
            // and the copy is discarded.
            Abandon(ref move, same);
            return;
        }

        if (move.Buffer >= 0)
        {
            _writeBehind.Publish(e, from, to, move.ToSlot, move.Buffer, move.Length);
            return;
        }

        int length = move.Length;
        if (move.Failure is { } failure)
        {
            to.Counters.WriteFailures++;
            _log.WriteFailures.Failed(to.Index, to.Profile.Name, move.Key, failure);
            _placement.Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, to.Index);
            to.MarkWriteFailed(move.ToSlot, failure);
            to.ReturnSlot(move.ToSlot);
            from.Counters.Evictions++;
            _placement.Note(PlacementAction.Evict, PlacementReason.WriteFailure, e, from.Index, -1);
            _slots.Unbind(e, from);
            _table.Remove(e);
            return;
        }

        _counters.Write(to, length);
        _slots.Unbind(e, from);
        _slots.Bind(e, to, move.ToSlot);
        to.OnDemotedInsert(move.ToSlot);
        from.Counters.Demotions++;
        _placement.Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, to.Index);
        _table.SetInFlight(e, false);
    }

    /// <summary>
    /// Gives up a victim's move whose write ended in something other than an <see cref="IOException"/> (a device bug):
    /// the victim stays where it was, readable, and the reserved slot goes back, so nothing is lost. Call under the lock.
    /// </summary>
    public void Discard(ref DeferredDemotion move)
    {
        move.Active = false;
        int e = move.Entry;
        move.To.Reserved--;
        bool left = SlotBinding.EndSlotIo(move.From, move.FromSlot);
        bool same = !left && _table.IsAt(e, move.Stamp, move.From.Index, move.FromSlot);
        Abandon(ref move, same);
    }

    private void Abandon(ref DeferredDemotion move, bool same)
    {
        Tier to = move.To;
        if (same)
        {
            _table.SetInFlight(move.Entry, false);
        }

        _writeBehind.Return(move.Buffer);
        // A staged demotion skipped its slot's free for the write that now never comes: free it, behind the lock
        // when the tier writes behind.
        if (!_writeBehind.TryFreeBehind(to, move.ToSlot))
        {
            to.FreeSlot(move.ToSlot);
            to.ReturnSlot(move.ToSlot);
        }
    }
}
