using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A put into a store that keeps payloads, with its byte copies outside the store's lock, so two writers (prefill
/// workers, a transfer receiver) do not convoy behind each other's copies: under the lock the new block's entry is
/// added as pending (no tier maps it: readers miss it, as before the put) and a slot is reserved for it; a victim that
/// must leave first has its bytes copied one tier down without the lock (<see cref="DemotionCopies"/>); the new block's
/// bytes are copied into its slot without the lock; then, under the lock, the block is bound (published) unless a
/// Remove took it meanwhile (the Remove wins, and the slot goes back). A block whose tier writes behind is copied into a
/// write-behind staging buffer instead and published in flight, its device write queued (<see cref="WriteBehind.QueuePut"/>),
/// as a staged demotion is; with no buffer free it is written on the put's path, counted.
/// </summary>
/// <remarks>
/// Reserve, copy, publish: the same split as a slab allocator's "allocate, fill, publish" and as Dynamo KVBM's and
/// vLLM's block pools, where a block is allocated under the manager's lock, filled by the worker, and only then
/// registered for prefix hits. A metadata-only store has no bytes to copy and keeps the one-hold put
/// (<see cref="TierChain.Put"/>), so replays do not move.
/// </remarks>
internal sealed class ReservedPut
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

    public ReservedPut(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, BlockMover mover, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, TierPassOver passOver, WriteBehind writeBehind)
    {
        _writeBehind = writeBehind;
        _table = table;
        _tiers = tiers;
        _top = top;
        _reservation = new PutReservation(table, tiers, chain, mover, counters, placement, passOver, writeBehind);
        _mover = mover;
        _slots = slots;
        _counters = counters;
        _placement = placement;
    }

    /// <summary>Stores a block (arguments already validated); <paramref name="store"/> is checked for disposal under each lock hold.</summary>
    public PutResult Put(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        _writeBehind.WaitForRoom(); // backpressure, before the lock: a full write-behind queue drains first
        var pending = default(PendingPut);
        if (!Begin(store, key, parent, kv, context, ref pending, out PutResult result))
        {
            return result;
        }

        IOException? failure;
        do
        {
            failure = null;
            try
            {
                if (pending.Booking is { } booking)
                {
                    pending.Booking = null;
                    booking.Wait(); // room waits on a write in flight: the worker's next booking
                }
                else if (!TryCopy(ref pending, kv))
                {
                    _tiers[pending.Tier].Device.Write(pending.Slot, key, parent, kv);
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

            result = default;
        }
        while (Next(store, ref pending, kv.Length, failure, ref result));

        return result;
    }

    /// <summary>
    /// Like <see cref="Put"/>, awaiting the new block's write when its tier's device declares
    /// <see cref="IAsyncBlockDevice"/> (a victim's copy one tier down runs synchronously, outside the lock).
    /// </summary>
    public async ValueTask<PutResult> PutAsync(TieredKvStore store, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv, BlockContext context,
        CancellationToken cancellationToken)
    {
        // As Put's backpressure, awaited (no thread held); a cancellation ends this wait, before anything starts.
        await _writeBehind.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        var pending = default(PendingPut);
        if (!Begin(store, key, parent, kv.Span, context, ref pending, out PutResult result))
        {
            return result;
        }

        IOException? failure;
        do
        {
            failure = null;
            try
            {
                IBlockDevice device = _tiers[pending.Tier].Device;
                if (pending.Booking is { } booking)
                {
                    pending.Booking = null;
                    await booking.ConfigureAwait(false); // room waits on a write in flight: the worker's next booking
                }
                else if (TryCopy(ref pending, kv.Span))
                {
                    // a victim's move, or the bytes staged for the write-behind worker: nothing to await
                }
                else if (device is IAsyncBlockDevice awaitable)
                {
                    // Once the slot is reserved the put completes: a cancelled write would leave a reserved slot behind.
                    await awaitable.WriteAsync(pending.Slot, key, parent, kv, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    device.Write(pending.Slot, key, parent, kv.Span);
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

            result = default;
        }
        while (Next(store, ref pending, kv.Length, failure, ref result));

        return result;
    }

    /// <summary>
    /// The copy outside the lock that needs no device write of the put's own: a victim's move one tier down, or the
    /// put's bytes into their write-behind staging buffer (private to this put until it is published). False: the
    /// caller writes the bytes into the reserved slot.
    /// </summary>
    private bool TryCopy(ref PendingPut pending, ReadOnlySpan<byte> kv)
    {
        if (pending.Victim.Active)
        {
            _mover.CopyDemotion(ref pending.Victim);
            return true;
        }

        if (pending.Buffer < 0)
        {
            return false;
        }

        kv.CopyTo(_writeBehind.StagingBuffer(pending.Buffer));
        return true;
    }

    /// <summary>The first lock hold: true when the caller has bytes to copy (a store reader is then announced).</summary>
    private bool Begin(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context,
        ref PendingPut pending, out PutResult result)
    {
        using (_top.EnterWrite())
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
    }

    /// <summary>
    /// The lock hold after a copy (or a wait for a write-behind booking): completes the victim's move and reserves
    /// again (true: copy again, a store reader announced), or publishes the block (false, with <paramref name="result"/>).
    /// </summary>
    private bool Next(TieredKvStore store, ref PendingPut pending, int size, IOException? failure, ref PutResult result)
    {
        using (_top.EnterWrite())
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
