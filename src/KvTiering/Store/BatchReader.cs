using System.Runtime.ExceptionServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.ReadBatchAsync"/>: reads many blocks, each into its own part of one buffer, with up to a
/// tier's <see cref="IConcurrentReads.ReadWindow"/> reads in flight on it, and moves none of them. A lower tier's block
/// is copied out of its slot, which is kept from being freed or rewritten until the read ends (as a lookup's is), and
/// its policy hears of the hit where it is; nothing is promoted, so no block of the batch pushes out another before it
/// is read, and the batch costs the tiers above no room and the tiers below no demotion writes.
/// </summary>
/// <remarks>
/// A block in the top tier, staged for write-behind, not resident, or still being put is looked up as
/// <see cref="TieredKvStore.TryGet(in BlockKey, Span{byte}, out int, out int)"/> does, in its turn. A block whose entry
/// changed while it was read (moved, removed, put again) and whose read then failed is looked up again where it is
/// now: a block that exists before and after a move is not a miss. A read the device could not answer
/// (<see cref="ReadFailure.Unreachable"/>) is a miss that leaves the block where it was, as a lookup's does.
/// </remarks>
internal sealed class BatchReader
{
    private const int Missed = -1; // Finish: a miss (the block dropped unless its device could not be reached)
    private const int Again = -2;  // Finish: the entry changed while its read failed; look it up where it is now

    private static readonly BlockRead MissRead = new(false, 0, -1);

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly TierChain _chain;
    private readonly int _blockBytes;
    private readonly int[] _windows; // per tier: reads in flight at most; 0: a synchronous device, read in turn

    public BatchReader(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots,
        StoreCounters counters, int blockBytes)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _slots = slots;
        _counters = counters;
        _blockBytes = blockBytes;
        _windows = Array.ConvertAll(tiers, static t => t.Device switch
        {
            IConcurrentReads concurrent => concurrent.ReadWindow, // validated when the device was opened
            IAsyncBlockDevice => 1,
            _ => 0,
        });
    }

    /// <summary>
    /// Starts a batch (see <see cref="TieredKvStore.ReadBatchAsync"/>); a disposed store, a metadata-only one and short
    /// buffers throw here, before a task exists.
    /// </summary>
    public Task<int> Start(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, Memory<byte> destination, Memory<BlockRead> results,
        CancellationToken cancellationToken)
    {
        store.ThrowIfDisposed();
        if (_blockBytes == 0)
        {
            ThrowHelper.ThrowInvalidOperation("ReadBatchAsync needs a store that keeps payloads; this one is metadata-only.");
        }

        if (destination.Length / _blockBytes < keys.Length)
        {
            ThrowHelper.ThrowArgument(nameof(destination),
                $"destination holds {destination.Length} bytes; {keys.Length} keys need {(long)keys.Length * _blockBytes} ({_blockBytes} each).");
        }

        if (results.Length < keys.Length)
        {
            ThrowHelper.ThrowArgument(nameof(results), $"results holds {results.Length} entries; {keys.Length} keys need as many.");
        }

        return ReadAsync(store, keys, destination, results, cancellationToken);
    }

    /// <summary>Reads <paramref name="keys"/> (see <see cref="TieredKvStore.ReadBatchAsync"/>); how many were found.</summary>
    private async Task<int> ReadAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, Memory<byte> destination,
        Memory<BlockRead> results, CancellationToken cancellationToken)
    {
        var batch = new BatchReadState(store, destination, results, _tiers.Length, cancellationToken);
        try
        {
            for (int i = 0; i < keys.Length && batch.Failure is null; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BlockKey key = keys.Span[i];
                Memory<byte> into = batch.Into(i, _blockBytes);
                if (key.IsEmpty || !TryBegin(store, key, out BatchReadState.Ticket ticket))
                {
                    batch.Record(i, LookUp(store, key, into.Span));
                    continue;
                }

                int window = _windows[ticket.Tier.Index];
                if (window == 0)
                {
                    // A synchronous device: read now, outside the lock, as a lookup would.
                    int got;
                    try
                    {
                        try
                        {
                            got = ticket.Tier.Device.Read(ticket.Slot, key, into.Span);
                        }
                        finally
                        {
                            _top.ExitReader(); // the reader covers the read only
                        }
                    }
                    catch
                    {
                        EndFailed(ticket);
                        throw;
                    }

                    batch.Record(i, await SettleAsync(batch, key, ticket, got, into).ConfigureAwait(false));
                    continue;
                }

                if (batch.Busy[ticket.Tier.Index] >= window)
                {
                    // The window is full: give the slot back while the oldest reads end, then begin this block again
                    // (it may have moved meanwhile). A ticket held while waiting would keep Dispose waiting for its
                    // reader, while the oldest read's turn waited for Dispose's lock.
                    _top.ExitReader();
                    EndFailed(ticket);
                    while (batch.Busy[ticket.Tier.Index] >= window && batch.Failure is null)
                    {
                        await CompleteOldestAsync(batch, keys).ConfigureAwait(false);
                    }

                    i--;
                    continue; // a read that threw meanwhile ends the loop: no new one is sent
                }

                var device = (IAsyncBlockDevice)ticket.Tier.Device;
                batch.Pending.Enqueue(new BatchReadState.InFlight(i, ticket, Send(device, ticket.Slot, key, into, cancellationToken)));
                batch.Busy[ticket.Tier.Index]++;
            }

            while (batch.Pending.Count > 0)
            {
                await CompleteOldestAsync(batch, keys).ConfigureAwait(false);
            }
        }
        finally
        {
            // Cancelled, or a lookup threw: every read still in flight ends before the task does, its block where it was.
            while (batch.Pending.Count > 0)
            {
                BatchReadState.InFlight read = batch.Pending.Dequeue();
                try
                {
                    await read.Pending.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Abandoned either way.
                }

                EndFailed(read.Ticket);
            }
        }

        batch.Failure?.Throw();
        return batch.Found;
    }

    /// <summary>
    /// Awaits the oldest read in flight and books it. A read that threw leaves its block where it was, and the batch
    /// sends no new reads and throws the first such exception once the reads in flight have ended.
    /// </summary>
    private async ValueTask CompleteOldestAsync(BatchReadState batch, ReadOnlyMemory<BlockKey> keys)
    {
        BatchReadState.InFlight read = batch.Pending.Dequeue();
        batch.Busy[read.Ticket.Tier.Index]--;
        int got;
        try
        {
            got = await read.Pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            EndFailed(read.Ticket);
            batch.Failure ??= ExceptionDispatchInfo.Capture(ex);
            return;
        }

        BlockRead result = await SettleAsync(batch, keys.Span[read.Index], read.Ticket, got, batch.Into(read.Index, _blockBytes))
            .ConfigureAwait(false);
        batch.Record(read.Index, result);
    }

    /// <summary>Books a read that ended; a block whose entry changed meanwhile and whose read failed is looked up again.</summary>
    private ValueTask<BlockRead> SettleAsync(BatchReadState batch, BlockKey key, in BatchReadState.Ticket ticket, int got, Memory<byte> into)
    {
        int tier = Finish(batch.Store, ticket, got);
        return tier switch
        {
            >= 0 => ValueTask.FromResult(new BlockRead(true, got, tier)),
            Again => batch.Store.TryGetAsync(key, into, batch.CancellationToken),
            _ => ValueTask.FromResult(MissRead),
        };
    }

    /// <summary>
    /// Under the lock: true (slot I/O and a store reader announced) when <paramref name="key"/> lies in a lower tier and
    /// needs nothing but a read of its slot; false sends it to an ordinary lookup.
    /// </summary>
    private bool TryBegin(TieredKvStore store, in BlockKey key, out BatchReadState.Ticket ticket)
    {
        ticket = default;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0 || _table.Tier[e] <= 0 || _table.Staging[e] >= 0)
            {
                return false;
            }

            Tier tier = _tiers[_table.Tier[e]];
            int slot = _table.Slot[e];
            if (!_chain.LoadOrRecompute(e, tier))
            {
                return false; // recomputed: it left the store, and the ordinary lookup books the miss
            }

            _counters.Lookups++;
            SlotBinding.BeginSlotIo(tier, slot);
            ticket = new BatchReadState.Ticket(e, tier, slot, _table.Stamps[e]);
            _top.EnterReader(); // Dispose (which needs the lock) waits for the read to end
            return true;
        }
    }

    /// <summary>Under the lock: ends a read; the tier that served it, <see cref="Missed"/>, or <see cref="Again"/>.</summary>
    private int Finish(TieredKvStore store, in BatchReadState.Ticket ticket, int got)
    {
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            Tier tier = ticket.Tier;
            int e = ticket.Entry;
            bool left = SlotBinding.EndSlotIo(tier, ticket.Slot);
            bool same = !left && _table.IsAt(e, ticket.Stamp, tier.Index, ticket.Slot);
            if (got < 0)
            {
                if (!same)
                {
                    _counters.Lookups--; // looked up again where it is now, and booked there
                    return Again;
                }

                _slots.DropUnreadable(e, tier, keepUnreachable: true);
                return Missed;
            }

            _counters.Hits++;
            _counters.Read(tier, got);
            tier.Counters.Hits++;
            if (same)
            {
                tier.Touch(ticket.Slot); // the policy hears of the hit where the block is: it stays there
            }

            return tier.Index;
        }
    }

    /// <summary>
    /// Ends a read that threw or was abandoned: the block stays where it was. The store reader <see cref="TryBegin"/>
    /// announced has ended already, when the read did.
    /// </summary>
    private void EndFailed(in BatchReadState.Ticket ticket)
    {
        using (_top.EnterWrite())
        {
            if (!_top.IsDisposed) // a disposed store's devices are closed: nothing to free
            {
                SlotBinding.EndSlotIo(ticket.Tier, ticket.Slot);
            }
        }
    }

    private static BlockRead LookUp(TieredKvStore store, in BlockKey key, Span<byte> into)
    {
        if (key.IsEmpty)
        {
            return MissRead;
        }

        bool found = store.TryGet(key, into, out int written, out int tier);
        return new BlockRead(found, written, tier);
    }

    /// <summary>
    /// Starts one read; a device that throws before its task exists gives a faulted one, handed back in turn. The store
    /// reader <see cref="TryBegin"/> announced ends with the read, not in the read's turn: <c>Dispose</c> waits for
    /// readers under the lock, and a read done but waiting for its turn would wait for that lock in turn (Dispose during a
    /// batch with reads in flight hung before, as the prefetch's window did before remote26).
    /// </summary>
    private async Task<int> Send(IAsyncBlockDevice device, int slot, BlockKey key, Memory<byte> into, CancellationToken cancellationToken)
    {
        try
        {
            return await device.ReadAsync(slot, key, into, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _top.ExitReader();
        }
    }
}
