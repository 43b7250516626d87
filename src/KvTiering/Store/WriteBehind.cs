using System.Diagnostics.CodeAnalysis;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Demotions into slow tiers, and puts that land there directly (<see cref="QueuePut"/>: their bytes staged like a
/// demotion's), off the put's path. The put that evicts a victim binds the block to its slot in the slow
/// tier at once and queues the write; one background worker writes it without the store's lock. The bytes it writes
/// are the victim's own source slot, held out of use until the write lands (<see cref="Hold"/>, no copy), or, where
/// that slot cannot be held (it must be reused at once, or it is not addressable memory), a staging buffer the victim
/// was copied into (<see cref="Stage"/>, <see cref="DemotionCopies"/>). Until the write lands the block is served from
/// there (and may be promoted, demoted further or dropped from it like any block). A Remove, Clear or move meanwhile
/// wins: the slot stays reserved until the write ends, then is freed, and nothing is bound to it.
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
    private readonly WriteBehindQueue? _queue;
    private readonly Thread? _worker;
    private readonly int[] _held; // per tier, source slots held for writes in flight (Hold)

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
        _held = new int[tiers.Length];
        bool any = false;
        for (int i = 0; i < tiers.Length; i++)
        {
            tiers[i].WriteBehind = !options.MetadataOnly && i > 0 && options.Tiers[i].WriteBehind && options.WriteBehindBlocks > 0;
            any |= tiers[i].WriteBehind;
        }

        if (any)
        {
            _queue = new WriteBehindQueue(options.WriteBehindBlocks, blockBytes);
            var worker = new WriteBehindWorker(_queue, table, tiers, top, slots, placement, log, _held)
            {
                Nice = options.WriteBehindNice,
            };
            _worker = new Thread(worker.Run) { IsBackground = true, Name = $"KvTiering write-behind ({log.Name})" };
            _worker.Start();
            slots.FreeBehind = TryFreeBehind;
        }
    }

    /// <summary>
    /// Frees unmapped <paramref name="slot"/> of <paramref name="tier"/> on its device through the worker, outside the
    /// lock (a flash free is a header write), the slot reserved until the free lands; false when the tier does not
    /// write behind or the store is flushing or closing (the caller then frees it at once). Call under the lock.
    /// </summary>
    public bool TryFreeBehind(Tier tier, int slot)
    {
        if (!IsOpenFor(tier, out WriteBehindQueue? queue))
        {
            return false;
        }

        tier.SlotToEntry[slot] = -1;
        tier.Reserved++;
        queue.Enqueue(WriteBehindJob.Free(tier.Index, slot));
        return true;
    }

    /// <summary>Whether writes and frees of <paramref name="tier"/> go through the queue now: the tier writes behind and the store is not flushing or closing.</summary>
    private bool IsOpenFor(Tier tier, [NotNullWhen(true)] out WriteBehindQueue? queue)
    {
        queue = _queue;
        return tier.WriteBehind && !Synchronous && queue is { IsClosed: false };
    }

    /// <summary>While set (a flush, a dispose), demotions write synchronously: they must not drop blocks for want of buffers.</summary>
    public bool Synchronous { get; set; }

    /// <summary>
    /// A staging buffer for a write into <paramref name="to"/>: -1 when it is written synchronously (no write-behind, or
    /// flushing or closing); false when the queue is full (the caller writes on its own path). Call under the lock.
    /// </summary>
    public bool TryRent(Tier to, out int buffer)
    {
        buffer = -1;
        if (!IsOpenFor(to, out WriteBehindQueue? queue))
        {
            return true;
        }

        buffer = queue.TryRent();
        return buffer >= 0;
    }

    /// <summary>
    /// The queue's job slots while a put takes one before the lock (<see cref="WriteBehindRoom"/>): the queue open and no
    /// flush on; null otherwise, and without a queue. Read without the lock.
    /// </summary>
    public WriteBehindSlots? GatedSlots => _queue is { IsClosed: false } queue && !Synchronous ? queue.Slots : null;

    /// <summary>The queue's job slots; null without a queue.</summary>
    public WriteBehindSlots? Slots => _queue?.Slots;

    /// <summary>Puts waiting for a job slot now (for tests).</summary>
    internal int RoomWaiters => _queue?.Slots.Waiters ?? 0;

    /// <summary>A task that completes at the worker's next booking (or the queue's close). Call under the lock, with a queue.</summary>
    public Task NextBooking() => _queue!.NextRoom();

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
        _slots.Unbind(e, from);
        Enqueue(e, from, to, slot, buffer, length);
    }

    /// <summary>
    /// Whether a victim of <paramref name="from"/> may be demoted into <paramref name="to"/> by <see cref="Hold"/> now:
    /// <paramref name="to"/> writes behind, the queue is open with a job slot free, and <paramref name="from"/>'s slots
    /// are addressable memory the worker can write from. Call under the lock.
    /// </summary>
    /// <remarks>
    /// A held slot holds no resident block, so at most an eighth of <paramref name="from"/>'s slots are held at once:
    /// the tier keeps seven eighths of its capacity for blocks, and victims to free a slot at once (a tier of fewer
    /// than eight slots never holds, and stages every victim as before).
    /// </remarks>
    public bool CanHold(Tier from, Tier to) =>
        to.WriteBehind && !Synchronous && _queue is { IsClosed: false, HasFree: true } && CanHoldRented(from);

    /// <summary>
    /// Whether a job slot is free beyond those already rented, for this lock hold (its promise or an unpromised slot).
    /// Call under the lock.
    /// </summary>
    public bool HasSpare => _queue is { HasFree: true };

    /// <summary>Like <see cref="CanHold"/> for a demotion that already has its job slot from <see cref="TryRent"/>.</summary>
    public bool CanHoldRented(Tier from) => from.Direct is not null && _held[from.Index] < from.Capacity / 8;

    /// <summary>
    /// Demotes victim <paramref name="e"/> of <paramref name="from"/> into <paramref name="slot"/> of
    /// <paramref name="to"/> without copying it: its source slot is held (reserved, out of use, its bytes unchanged)
    /// and the worker writes the lower tier straight from it; until the write lands the block is read from there, and
    /// only then is the source slot freed. The entry must be evictable with no I/O on its slot
    /// (<see cref="SlotBinding.CanReserve"/>) and <paramref name="buffer"/> a job slot from <see cref="TryRent"/>.
    /// Call under the lock.
    /// </summary>
    /// <remarks>
    /// The issue's rule "a block being demoted stays readable from its source slot until its lower-tier copy is written
    /// and verified", as vLLM's CPU offload and Dynamo KVBM keep a block's device copy until its offload completes: the
    /// put that evicts copies nothing; the top tier runs a slot short per write in flight instead.
    /// </remarks>
    public void Hold(int e, Tier from, Tier to, int slot, int buffer, int length)
    {
        _queue!.Hold(buffer, from, _table.Slot[e]);
        _held[from.Index]++;
        _slots.UnbindReserved(e, from);
        Enqueue(e, from, to, slot, buffer, length);
    }

    /// <summary>
    /// Binds a put's new entry <paramref name="e"/> to its reserved <paramref name="slot"/> of <paramref name="to"/>,
    /// its bytes already copied into <paramref name="buffer"/> (from <see cref="TryRent"/>), and hands the write to the
    /// worker: the block is served from the staged copy until the write lands, as a staged demotion's is, and a failed
    /// write drops it. The caller books the insert. Call under the lock, with the queue open.
    /// </summary>
    public void QueuePut(int e, Tier to, int slot, int buffer, int length)
    {
        WriteBehindQueue queue = _queue!;
        _table.Staging[e] = buffer; // before the bind: the write has not landed (see SlotBinding.Bind)
        _slots.Bind(e, to, slot);
        queue.Enqueue(new WriteBehindJob(e, _table.Stamps[e], to.Index, slot, buffer, length, _table.Keys[e], _table.Parents[e]));
    }

    /// <summary>Binds entry <paramref name="e"/> (unbound from <paramref name="from"/>) to its slot in <paramref name="to"/>, in flight, and queues the write.</summary>
    private void Enqueue(int e, Tier from, Tier to, int slot, int buffer, int length)
    {
        QueuePut(e, to, slot, buffer, length); // the worker books it under this lock, after what follows
        _table.SetInFlight(e, false); // movable again: its bytes are the staged copy until the write lands
        _counters.Write(to, length);
        to.OnDemotedInsert(slot);
        from.Counters.Demotions++;
        _placement.Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, to.Index);
    }

    /// <summary>
    /// Unbinds entry <paramref name="e"/>, whose block moved up out of <paramref name="tier"/>, and frees its slot: on
    /// the device by the worker, outside the lock, when the tier writes behind (a flash free is an I/O, a header
    /// overwrite, which under the lock made every put wait for the disk); at once otherwise. The slot stays reserved
    /// until the free lands. Call under the lock.
    /// </summary>
    public void UnbindMoved(int e, Tier tier)
    {
        if (!IsOpenFor(tier, out WriteBehindQueue? queue) || !_slots.CanReserve(e, tier))
        {
            _slots.Unbind(e, tier);
            return;
        }

        int slot = _table.Slot[e];
        _slots.UnbindReserved(e, tier);
        queue.Enqueue(WriteBehindJob.Free(tier.Index, slot));
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
}
