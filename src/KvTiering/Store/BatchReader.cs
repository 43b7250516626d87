using System.Runtime.ExceptionServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.ReadBatchAsync"/>: reads many blocks, each into its own part of one buffer, with up to a
/// tier's <see cref="IConcurrentReads.ReadWindow"/> reads in flight on it (counted with every other batch's and
/// prefetch's: <see cref="DeviceReadWindow"/>), and moves none of them. A lower tier's block is copied out of its slot,
/// which is kept from being freed or rewritten until the read ends (as a lookup's is), and its policy hears of the hit
/// where it is; nothing is promoted, so no block of the batch pushes out another before it is read, and the batch
/// costs the tiers above no room and the tiers below no demotion writes. The steps under the lock are
/// <see cref="BatchTickets"/>'s.
/// </summary>
/// <remarks>
/// A block in the top tier, staged for write-behind, not resident, or still being put is looked up as
/// <see cref="TieredKvStore.TryGetAsync"/> does, in its turn, and awaited: the block may have moved into a tier whose
/// device window is full since the batch looked (or a shared tier may answer a local miss), and the batch's thread
/// never blocks for a place (it did through the synchronous lookup before reads29). A block whose entry
/// changed while it was read (moved, removed, put again) and whose read then failed is looked up again where it is
/// now: a block that exists before and after a move is not a miss. A read the device could not answer
/// (<see cref="ReadFailure.Unreachable"/>) is a miss that leaves the block where it was, as a lookup's does. A block
/// that must wait for room (its device's window full, or this batch's one read of a device without a window in
/// flight) holds no slot or store reader while it waits: <c>Dispose</c> waits for readers under the lock that the
/// reads in flight need in their turn.
/// </remarks>
internal sealed class BatchReader
{
    private readonly OptimisticRead _topReads;
    private readonly int _tierCount;
    private readonly BatchTickets _tickets;
    private readonly SlotReads _reads;
    private readonly int _blockBytes;
    private readonly DamagedAtOpen _damaged;

    public BatchReader(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots,
        StoreCounters counters, SlotReads reads, int blockBytes)
    {
        _topReads = top.Reads;
        _damaged = chain.Damaged;
        _tierCount = tiers.Length;
        _tickets = new BatchTickets(table, tiers, top, chain, slots, counters, reads);
        _reads = reads;
        _blockBytes = blockBytes;
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
        var batch = new BatchReadState(store, destination, results, _tierCount, cancellationToken);
        DeviceReadWindow? held = null; // a place in a full device window the block waited for: its next try uses it
        try
        {
            for (int i = 0; i < keys.Length && batch.Failure is null; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BlockKey key = keys.Span[i];
                Memory<byte> into = batch.Into(i, _blockBytes);
                // A place waited for (held) is this lower-tier block's: its retry goes through the ticket that uses it.
                if (!key.IsEmpty && held is null && TryLockFree(key, into.Span, out BlockRead lockFree))
                {
                    batch.Record(i, lockFree);
                    continue;
                }

                BatchReadState.Ticket ticket = default;
                int begun = key.IsEmpty ? BatchTickets.LookUp : _tickets.TryBegin(store, key, batch.Busy, ref held, out ticket);

                // A place waited for is only the block's next try's: kept past it, a lookup below (which waits for a
                // place of its own) or a read it waits for could wait on it, and a window of one would never free.
                held?.Exit();
                held = null;
                switch (begun)
                {
                    case BatchTickets.LookUp:
                        // The ordinary lookup, awaited: a block that moved into a windowed tier since TryBegin, or a
                        // local miss a shared tier answers, waits for its device's place without blocking the thread.
                        batch.Record(i, key.IsEmpty ? BlockRead.Missed(BlockMiss.NotResident)
                            : await store.TryGetAsync(key, into, cancellationToken).ConfigureAwait(false));
                        continue;
                    case BatchTickets.WindowFull:
                        // Wait for a place holding nothing: the reads in flight (this batch's and others') end on their
                        // own. Then begin the block again: it may have moved meanwhile.
                        await ticket.Tier.ReadWindow!.EnterAsync(cancellationToken).ConfigureAwait(false);
                        held = ticket.Tier.ReadWindow;
                        i--;
                        continue;
                    case BatchTickets.TierBusy:
                        while (batch.Busy[ticket.Tier.Index] > 0 && batch.Failure is null)
                        {
                            await CompleteOldestAsync(batch, keys).ConfigureAwait(false);
                        }

                        i--;
                        continue; // a read that threw meanwhile ends the loop: no new one is sent
                }

                if (ticket.Tier.Device is not IAsyncBlockDevice)
                {
                    batch.Record(i, await SettleAsync(batch, key, ticket, ReadNow(key, ticket, into.Span), into).ConfigureAwait(false));
                    continue;
                }

                batch.Pending.Enqueue(new BatchReadState.InFlight(i, ticket, _reads.Send(ticket.Tier, ticket.Slot, key, into, cancellationToken)));
                batch.Busy[ticket.Tier.Index]++;
            }

            while (batch.Pending.Count > 0)
            {
                await CompleteOldestAsync(batch, keys).ConfigureAwait(false);
            }
        }
        finally
        {
            held?.Exit(); // waited for, and the block needed no read after all (or the batch ended)

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

                _reads.Abandon(read.Ticket.Tier, read.Ticket.Slot);
            }
        }

        batch.Failure?.Throw();
        return batch.Found;
    }

    /// <summary>
    /// A top-tier block read lock-free, as a lookup's first step reads it, or a final lock-free miss: no ticket and no
    /// lock. Taking the lock for it (which <see cref="BatchTickets.TryBegin"/> does, and the lookup it then sends the
    /// block to does not) cost a restore whose chunks sit in the top tier 1.5× a lookup's time per block and interrupted
    /// every other thread's lock-free hits once per block. False: the block needs the ticket's path.
    /// </summary>
    private bool TryLockFree(in BlockKey key, Span<byte> into, out BlockRead read)
    {
        int outcome = _topReads.TryGet(key, into, out int written);
        read = outcome == TopTierReader.Hit ? new BlockRead(true, written, 0) : BlockRead.Missed(_damaged.MissOf(key));
        return outcome >= 0;
    }

    /// <summary>A synchronous device's read, now, outside the lock, as a lookup's would be.</summary>
    private int ReadNow(in BlockKey key, in BatchReadState.Ticket ticket, Span<byte> into)
    {
        try
        {
            try
            {
                return ticket.Tier.Device.Read(ticket.Slot, key, into);
            }
            finally
            {
                _reads.Ended(ticket.Tier);
            }
        }
        catch
        {
            _reads.Abandon(ticket.Tier, ticket.Slot);
            throw;
        }
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
            _reads.Abandon(read.Ticket.Tier, read.Ticket.Slot);
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
        int tier = _tickets.Finish(batch.Store, ticket, got, out BlockMiss miss);
        return tier switch
        {
            >= 0 => ValueTask.FromResult(new BlockRead(true, got, tier)),
            BatchTickets.Again => batch.Store.TryGetAsync(key, into, batch.CancellationToken),
            _ => ValueTask.FromResult(BlockRead.Missed(miss)),
        };
    }
}
