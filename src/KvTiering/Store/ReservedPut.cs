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
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly BlockMover _mover;
    private readonly WriteBehind _writeBehind;
    private readonly WriteBehindRoom _room;
    private readonly PutHolds _holds;

    public ReservedPut(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, BlockMover mover, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, TierPassOver passOver, WriteBehind writeBehind)
    {
        _writeBehind = writeBehind;
        _room = new WriteBehindRoom(writeBehind);
        _tiers = tiers;
        _top = top;
        _mover = mover;
        var reservation = new PutReservation(table, tiers, chain, mover, counters, placement, passOver, writeBehind);
        _holds = new PutHolds(table, tiers, top, mover, slots, counters, placement, writeBehind, reservation, _room);
    }

    /// <summary>Stores a block (arguments already validated); <paramref name="store"/> is checked for disposal under each lock hold.</summary>
    public PutResult Put(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        var pending = default(PendingPut);
        pending.Room = _room.WaitForRoom(); // backpressure, before the lock: a job slot promised, in arrival order
        try
        {
            return PutPromised(store, key, parent, kv, context, ref pending);
        }
        finally
        {
            _room.Release(pending.Room); // unused (no demotion needed one): the next waiting put's
        }
    }

    private PutResult PutPromised(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context,
        ref PendingPut pending)
    {
        if (!_holds.Begin(store, key, parent, kv, context, ref pending, out PutResult result))
        {
            return result;
        }

        IOException? failure;
        do
        {
            failure = null;
            try
            {
                long since = PutTrace.Now();
                if (pending.Booking is { } booking)
                {
                    pending.Booking = null;
                    booking.Wait(); // room waits on a write in flight: the worker's next booking
                    if (PutTrace.On)
                    {
                        PutTrace.AddBooking(since);
                    }
                }
                else if (!TryCopy(ref pending, kv))
                {
                    _tiers[pending.Tier].Device.Write(pending.Slot, key, parent, kv);
                    if (PutTrace.On)
                    {
                        PutTrace.AddDeviceWrite(since);
                    }
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
        while (_holds.Next(store, ref pending, kv.Length, failure, ref result));

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
        bool promised = await _room.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        return await PutPromisedAsync(store, key, parent, kv, context, promised).ConfigureAwait(false);
    }

    private async ValueTask<PutResult> PutPromisedAsync(TieredKvStore store, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv,
        BlockContext context, bool promised)
    {
        var pending = default(PendingPut);
        pending.Room = promised;
        try
        {
            if (!_holds.Begin(store, key, parent, kv.Span, context, ref pending, out PutResult result))
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
            while (_holds.Next(store, ref pending, kv.Length, failure, ref result));

            return result;
        }
        finally
        {
            _room.Release(pending.Room); // unused (no demotion needed one): the next waiting put's
        }
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
}
