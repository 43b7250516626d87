using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Demotions into slow tiers, off the put's path. The put that evicts a victim copies its bytes into a staging buffer
/// (a memory copy, outside the seqlock's odd window), binds the block to its slot in the slow tier at once, and queues
/// the write; one background worker writes it without the store's lock. Until the write lands the block is served
/// from the staging copy (and may be promoted, demoted further or dropped from it like any block). A Remove, Clear or
/// move meanwhile wins: the slot stays reserved until the write ends, then is freed, and nothing is bound to it.
/// </summary>
/// <remarks>
/// Write-back of the victims' bytes off the request path, as SGLang HiCache's write-back host→storage backup,
/// LMCache's asynchronous <c>store</c> and Dynamo KVBM's offload queue do. A store with no write-behind tier holds an
/// instance with no queue: every <see cref="TryRent"/> then answers "write synchronously".
/// </remarks>
internal sealed class WriteBehind
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly StoreLog _log;
    private readonly WriteBehindQueue? _queue;
    private readonly Thread? _worker;

    /// <summary>Marks the tiers that demote through the queue and, when any does, starts the worker.</summary>
    public WriteBehind(KvStoreOptions options, BlockTable table, Tier[] tiers, TopTierReader top, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, StoreLog log, int blockBytes)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _log = log;
        bool any = false;
        for (int i = 0; i < tiers.Length; i++)
        {
            tiers[i].WriteBehind = !options.MetadataOnly && i > 0 && options.Tiers[i].WriteBehind && options.WriteBehindBlocks > 0;
            any |= tiers[i].WriteBehind;
        }

        if (any)
        {
            _queue = new WriteBehindQueue(options.WriteBehindBlocks, blockBytes);
            _worker = new Thread(Run) { IsBackground = true, Name = $"KvTiering write-behind ({log.Name})" };
            _worker.Start();
        }
    }

    /// <summary>While set (a flush, a dispose), demotions write synchronously: they must not drop blocks for want of buffers.</summary>
    public bool Synchronous { get; set; }

    /// <summary>
    /// A staging buffer for a demotion into <paramref name="to"/>: <paramref name="buffer"/> is -1 when the demotion
    /// writes synchronously (the tier has no write-behind, or the store is flushing or closing); false when the
    /// queue is full (the demotion is then dropped from this tier, not waited for). Call under the store's lock.
    /// </summary>
    public bool TryRent(Tier to, out int buffer)
    {
        buffer = -1;
        if (!to.WriteBehind || Synchronous || _queue is not { IsClosed: false } queue)
        {
            return true;
        }

        buffer = queue.TryRent();
        return buffer >= 0;
    }

    /// <summary>Gives back a buffer from <see cref="TryRent"/> (-1: none) that was not staged.</summary>
    public void Return(int buffer)
    {
        if (buffer >= 0)
        {
            _queue!.Return(buffer);
        }
    }

    /// <summary>The staged bytes of <paramref name="buffer"/>: the block, until its write lands.</summary>
    public ReadOnlySpan<byte> Staged(int buffer) => _queue!.Staged(buffer);

    /// <summary>
    /// Queues a victim's demotion into <paramref name="slot"/> of <paramref name="to"/>: copies its bytes into
    /// <paramref name="buffer"/>, moves the entry there (still in flight) and hands the write to the worker.
    /// </summary>
    public void Stage(int e, Tier from, Tier to, int slot, int buffer, ReadOnlySpan<byte> bytes)
    {
        bool paused = _top.Pause(); // the source slot stays mapped and the buffer is private: readers may overlap
        bytes.CopyTo(_queue!.Buffer(buffer));
        _top.Resume(paused);
        Publish(e, from, to, slot, buffer, bytes.Length);
    }

    /// <summary>Whether the queue accepts no more jobs (the store is closing).</summary>
    public bool IsClosed => _queue is not { IsClosed: false };

    /// <summary>A whole staging buffer, to copy a victim into outside the lock (<see cref="DemotionCopies"/>).</summary>
    public Span<byte> StagingBuffer(int buffer) => _queue!.Buffer(buffer);

    /// <summary>
    /// Moves entry <paramref name="e"/> to <paramref name="slot"/> of <paramref name="to"/>, its bytes already in
    /// <paramref name="buffer"/>, and hands the write to the worker. Call under the lock.
    /// </summary>
    public void Publish(int e, Tier from, Tier to, int slot, int buffer, int length)
    {
        WriteBehindQueue queue = _queue!;
        _slots.Unbind(e, from);
        _slots.Bind(e, to, slot);
        _table.Staging[e] = buffer;
        _table.InFlight[e] = false; // movable again: its bytes are the staging copy until the write lands
        _counters.Write(to, length);
        to.OnInsert(slot);
        from.Counters.Demotions++;
        _placement.Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, to.Index);
        queue.Enqueue(new WriteBehindJob(e, _table.Stamps[e], to.Index, slot, buffer, length, _table.Keys[e], _table.Parents[e]));
    }

    /// <summary>
    /// Unbinds entry <paramref name="e"/>, whose block moved up out of <paramref name="tier"/>, and frees its slot: on
    /// the device by the worker, outside the lock, when the tier writes behind (a flash free is an I/O, a header
    /// overwrite, which under the lock made every put wait for the disk); at once otherwise. The slot stays reserved
    /// until the free lands. Call under the lock.
    /// </summary>
    public void UnbindMoved(int e, Tier tier)
    {
        if (!tier.WriteBehind || Synchronous || _queue is not { IsClosed: false } queue || !_slots.CanReserve(e, tier))
        {
            _slots.Unbind(e, tier);
            return;
        }

        int slot = _table.Slot[e];
        _slots.UnbindReserved(e, tier);
        queue.Enqueue(new WriteBehindJob(-1, 0, tier.Index, slot, -1, 0, default, default));
    }

    /// <summary>Queued demotions and frees not yet booked (0 without a queue).</summary>
    public int Pending => _queue?.Pending ?? 0;

    /// <summary>Waits until every queued demotion has landed (or failed and been booked).</summary>
    public void WaitIdle() => _queue?.WaitIdle();

    /// <summary>Stops the queue and waits for the worker to write what it holds. Call without the lock.</summary>
    public void Close()
    {
        if (_queue is null)
        {
            return;
        }

        lock (_top.Lock)
        {
            _queue.Close();
        }

        if (Thread.CurrentThread != _worker)
        {
            _worker?.Join();
        }
    }

    /// <summary>
    /// The worker: each queued block's write, outside the lock; the outcomes booked under it, several per hold. After
    /// a write the worker books what it holds at once when nothing else waits to be written, when its batch is full, or
    /// when the lock is free; while the lock is busy and more writes wait, it writes the next block first instead of
    /// queueing behind a put, so it takes the lock (and the seqlock's odd window lock-free hits retry on) once per
    /// batch rather than once per block.
    /// </summary>
    private void Run()
    {
        WriteBehindQueue queue = _queue!;
        var done = new WriteBehindOutcome[queue.Depth];
        int held = 0;
        while (queue.Jobs.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (queue.Jobs.TryRead(out WriteBehindJob job))
            {
                IOException? failure = null;
                try
                {
                    if (job.Buffer < 0)
                    {
                        _tiers[job.Tier].Device.Free(job.Slot); // a slot freed behind (UnbindMoved)
                    }
                    else
                    {
                        _tiers[job.Tier].Device.Write(job.Slot, job.Key, job.Parent, queue.Staged(job.Buffer));
                    }
                }
                catch (IOException ex)
                {
                    failure = ex;
                }

                done[held++] = new WriteBehindOutcome(job, failure);
                if (held == done.Length || !queue.Jobs.TryPeek(out _))
                {
                    using (_top.EnterWrite())
                    {
                        CompleteAll(done, ref held);
                    }
                }
                else if (WriteScope.TryEnter(_top, out WriteScope scope))
                {
                    using (scope)
                    {
                        CompleteAll(done, ref held);
                    }
                }
            }
        }

        if (held > 0)
        {
            using (_top.EnterWrite())
            {
                CompleteAll(done, ref held);
            }
        }
    }

    /// <summary>Books the outcomes the worker holds, in order. Call under the lock.</summary>
    private void CompleteAll(WriteBehindOutcome[] done, ref int held)
    {
        for (int i = 0; i < held; i++)
        {
            Complete(done[i].Job, done[i].Failure);
            done[i] = default;
        }

        held = 0;
    }

    /// <summary>Books a queued write's outcome. Call under the lock.</summary>
    private void Complete(in WriteBehindJob job, IOException? failure)
    {
        Tier tier = _tiers[job.Tier];
        int e = job.Entry;
        if (job.Buffer < 0)
        {
            tier.Reserved--; // a free behind (UnbindMoved): the slot is usable again
            tier.ReturnSlot(job.Slot);
            _queue!.Completed();
            return;
        }

        if (_table.Stamps[e] == job.Stamp && _table.Staging[e] == job.Buffer)
        {
            _table.Staging[e] = -1;
            if (failure is not null)
            {
                tier.Counters.WriteFailures++;
                Log.WriteFailed(_log.Logger, _log.Name, tier.Profile.Name, job.Key, failure);
                _placement.Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, tier.Index);
                _slots.Drop(e, tier);
            }
        }
        else
        {
            // Removed, cleared or moved while in flight: its slot was kept out of use until now.
            SlotBinding.FreeReserved(tier, job.Slot);
        }

        _queue!.Return(job.Buffer);
        _queue.Completed();
    }
}

/// <summary>A written (or failed) write-behind job whose outcome the worker has yet to book under the lock.</summary>
internal readonly record struct WriteBehindOutcome(WriteBehindJob Job, IOException? Failure);
