using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The write-behind worker (<see cref="WriteBehind"/>): one background thread that writes each queued block into its
/// slow tier without the store's lock, from its held source slot or its staging buffer, and books the outcomes under
/// the lock, several per hold; a booked job frees what it held (a source slot, a reserved target slot, its job slot).
/// </summary>
internal sealed class WriteBehindWorker
{
    private readonly WriteBehindQueue _queue;
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly SlotBinding _slots;
    private readonly IPlacementHooks _placement;
    private readonly StoreLog _log;
    private readonly int[] _held;

    public WriteBehindWorker(WriteBehindQueue queue, BlockTable table, Tier[] tiers, TopTierReader top, SlotBinding slots,
        IPlacementHooks placement, StoreLog log, int[] held)
    {
        _queue = queue;
        _table = table;
        _tiers = tiers;
        _top = top;
        _slots = slots;
        _placement = placement;
        _log = log;
        _held = held;
    }

    /// <summary>The nice value the worker lowers its thread to first; 0 keeps it (<see cref="KvStoreOptions.WriteBehindNice"/>).</summary>
    public int Nice { get; init; }

    /// <summary>
    /// The worker: writes each queued block outside the lock and books the outcomes under it, several per hold; one
    /// block at a time, or, where a write-behind tier's device takes writes in flight together, up to its window at once
    /// (<see cref="WriteBehindWindow"/>).
    /// </summary>
    public void Run()
    {
        if (Nice > 0 && BackgroundPriority.TryLowerCurrentThread(Nice) is { } reason)
        {
            Log.WriteBehindPriorityKept(_log.Logger, _log.Name, reason);
        }

        if (WriteBehindWindow.Create(_tiers, _queue.Depth) is { } window)
        {
            RunWindowed(window);
        }
        else
        {
            RunOneAtATime();
        }
    }

    /// <summary>
    /// Each queued block's write, one at a time. After a write the worker books what it holds at once when nothing else
    /// waits to be written, when its batch is full, when a put waits for a job slot (one it holds may be that put's), or
    /// when the lock is free; otherwise, while the lock is busy, it writes the next block first instead of queueing
    /// behind a put, so it takes the lock (and the seqlock's odd window lock-free hits retry on) once per batch.
    /// </summary>
    private void RunOneAtATime()
    {
        WriteBehindQueue queue = _queue;
        var done = new WriteBehindOutcome[queue.Depth];
        int held = 0;
        while (queue.Jobs.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (queue.Jobs.TryRead(out WriteBehindJob job))
            {
                done[held++] = new WriteBehindOutcome(job, WriteNow(job));
                if (held == done.Length || !queue.Jobs.TryPeek(out _) || queue.Slots.HasWaiters)
                {
                    BookAll(done, ref held);
                }
                else
                {
                    TryBookAll(done, ref held);
                }
            }
        }

        BookAll(done, ref held);
    }

    /// <summary>
    /// Each queued block's write, up to its tier's window in flight (a tier without one is written at once, as by
    /// <see cref="RunOneAtATime"/>), each with a place in its device's store-wide <see cref="DeviceWriteWindow"/>. The
    /// writes land, and are booked, in the order they began; while some are in flight and no job is queued the worker
    /// waits for the oldest to land or the next job to arrive, whichever comes first, and it books what landed before
    /// it waits. On close it lands every write in flight before it ends (Dispose joins it).
    /// </summary>
    private void RunWindowed(WriteBehindWindow window)
    {
        WriteBehindQueue queue = _queue;
        var done = new WriteBehindOutcome[queue.Depth];
        int held = 0;
        Task<bool>? arrival = null; // kept across waits: the channel has one reader, so one wait at a time
        while (true)
        {
            while (queue.Jobs.TryRead(out WriteBehindJob job))
            {
                if (job.Buffer >= 0 && window.TryGetDevice(job.Tier, out IConcurrentWrites device))
                {
                    while (window.IsFull(job.Tier))
                    {
                        Land(window.LandOldest(), done, ref held);
                    }

                    if (!window.TryTakePlace(job.Tier))
                    {
                        // Prefetches or shares hold the device's places: book what landed, then block for one.
                        while (window.OldestEnded)
                        {
                            Land(window.LandOldest(), done, ref held);
                        }

                        BookAll(done, ref held);
                        window.TakePlace(job.Tier);
                    }

                    window.Start(job, device, queue.StagedMemory(job.Buffer));
                }
                else
                {
                    Land(new WriteBehindOutcome(job, WriteNow(job)), done, ref held);
                }

                while (window.OldestEnded)
                {
                    Land(window.LandOldest(), done, ref held);
                }
            }

            BookAll(done, ref held);
            arrival ??= queue.Jobs.WaitToReadAsync().AsTask();
            if (window.Count > 0)
            {
                Task.WaitAny(window.Oldest, arrival);
                while (window.OldestEnded)
                {
                    Land(window.LandOldest(), done, ref held);
                }
            }
            else
            {
                arrival.Wait();
            }

            if (arrival.IsCompleted)
            {
                if (!arrival.GetAwaiter().GetResult())
                {
                    break; // closed, and nothing queued: what is in flight lands below
                }

                arrival = null;
            }
        }

        while (window.Count > 0)
        {
            Land(window.LandOldest(), done, ref held);
        }

        BookAll(done, ref held);
    }

    /// <summary>A write (or a free) that ended: held for booking, booked now when the batch is full, a put waits for room, or the lock is free.</summary>
    private void Land(WriteBehindOutcome outcome, WriteBehindOutcome[] done, ref int held)
    {
        done[held++] = outcome;
        if (held == done.Length || _queue.Slots.HasWaiters)
        {
            BookAll(done, ref held);
        }
        else
        {
            TryBookAll(done, ref held);
        }
    }

    /// <summary>One job's device call, outside the lock: a write, or a free behind (<see cref="WriteBehind.UnbindMoved"/>); what it failed with, or null.</summary>
    private IOException? WriteNow(in WriteBehindJob job)
    {
        try
        {
            if (job.Buffer < 0)
            {
                _tiers[job.Tier].FreeSlot(job.Slot);
            }
            else
            {
                _tiers[job.Tier].Device.Write(job.Slot, job.Key, job.Parent, _queue.Staged(job.Buffer));
            }

            return null;
        }
        catch (IOException ex)
        {
            return ex;
        }
    }

    /// <summary>Books what the worker holds, waiting for the lock.</summary>
    private void BookAll(WriteBehindOutcome[] done, ref int held)
    {
        if (held > 0)
        {
            using (_top.EnterWrite())
            {
                CompleteAll(done, ref held);
            }
        }
    }

    /// <summary>Books what the worker holds if the lock is free now.</summary>
    private void TryBookAll(WriteBehindOutcome[] done, ref int held)
    {
        if (WriteScope.TryEnter(_top, out WriteScope scope))
        {
            using (scope)
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
            _queue.Completed();
            return;
        }

        if (_table.Stamps[e] == job.Stamp && _table.Staging[e] == job.Buffer)
        {
            _table.Staging[e] = -1;
            if (failure is not null)
            {
                tier.Counters.WriteFailures++;
                _log.WriteFailures.Failed(tier.Index, tier.Profile.Name, job.Key, failure);
                _placement.Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, tier.Index);
                tier.MarkWriteFailed(job.Slot, failure);
                _slots.Drop(e, tier);
            }
            else if (tier.Probing)
            {
                tier.ProbeLanded(job.Slot);
            }
        }
        else
        {
            // Removed, cleared or moved while in flight: its slot was kept out of use until now, and is freed on the
            // device by this worker after the lock, as a job of its own (at once when the queue is closing).
            if (_queue.IsClosed)
            {
                SlotBinding.FreeReserved(tier, job.Slot);
            }
            else
            {
                _queue.Enqueue(WriteBehindJob.Free(tier.Index, job.Slot)); // stays reserved
            }
        }

        if (_queue.TryGetHeld(job.Buffer, out Tier source, out int sourceSlot))
        {
            SlotBinding.FreeReserved(source, sourceSlot); // the source slot the worker wrote from (Hold) is free again
            _held[source.Index]--;
        }

        _queue.Return(job.Buffer);
        _queue.Completed();
    }
}
