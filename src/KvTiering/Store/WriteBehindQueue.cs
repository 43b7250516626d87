using System.Threading.Channels;

namespace KvTiering.Store;

/// <summary>
/// Demotions waiting to be written into a slow tier: a fixed set of job slots, each with a staging buffer (one block),
/// and the jobs that name them, written by one background worker outside the store's lock. A job's bytes are either
/// its buffer or, when the victim's source slot is held for it (<see cref="Hold"/>), that slot in place. Bounded by
/// its job slots: a put is promised one before it takes the lock (<see cref="WriteBehindSlots.TryGrant"/>), waiting in
/// arrival order while none is free, and the worker hands each slot it frees to the longest-waiting put
/// (<see cref="Return"/>); a demotion that finds none under the lock is written on its own path, counted; none is
/// dropped for want of room.
/// </summary>
/// <remarks>
/// Write-back of the victims' bytes off the request path, as SGLang HiCache's write-back host→storage backup,
/// LMCache's asynchronous <c>store</c> and Dynamo KVBM's offload queue do. The buffers are taken and returned under
/// the store's lock; the channel hands jobs to the worker.
/// </remarks>
internal sealed class WriteBehindQueue
{
    private readonly byte[][] _buffers;
    private readonly int[] _lengths;
    private readonly Tier?[] _sources;     // a held source: the job's bytes are this tier's slot, not the buffer
    private readonly int[] _sourceSlots;
    private readonly WriteBehindSlots _slots;
    private readonly Channel<WriteBehindJob> _jobs =
        Channel.CreateUnbounded<WriteBehindJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _roomGate = new();
    private TaskCompletionSource? _room; // set when a job slot frees; made by the first waiter after the last signal
    private TaskCompletionSource? _idle; // set when the last pending job completes; made by the first waiter after the last signal
    private int _idleWakeups;
    private volatile bool _closed; // read by puts before the store's lock
    private int _pending; // jobs enqueued and not yet completed

    public WriteBehindQueue(int depth, int blockBytes)
    {
        _buffers = new byte[depth][];
        _lengths = new int[depth];
        _sources = new Tier?[depth];
        _sourceSlots = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            _buffers[i] = GC.AllocateUninitializedArray<byte>(blockBytes, pinned: true);
        }

        _slots = new WriteBehindSlots(depth);
    }

    /// <summary>How many staging buffers (and so jobs in flight) the queue has.</summary>
    public int Depth => _buffers.Length;

    /// <summary>Whether no new job is accepted (the store is closing): demotions then write synchronously.</summary>
    public bool IsClosed => _closed;

    /// <summary>Jobs enqueued and not yet completed.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <inheritdoc cref="WriteBehindSlots.HasFree"/>
    public bool HasFree => _slots.HasFree;

    /// <inheritdoc cref="WriteBehindSlots.TryRent"/>
    public int TryRent() => _slots.TryRent();

    /// <summary>
    /// Gives a staging buffer back: the slot goes to the longest-waiting put, if any (<see cref="WriteBehindSlots.Return"/>),
    /// and the waiters for a booking wake. Call under the store's lock.
    /// </summary>
    public void Return(int buffer)
    {
        _lengths[buffer] = 0;
        _sources[buffer] = null;
        _slots.Return(buffer);
        SignalRoom();
    }

    /// <summary>Who may take the job slots (<see cref="WriteBehindSlots"/>): puts are promised one before the lock, in order.</summary>
    public WriteBehindSlots Slots => _slots;

    /// <summary>
    /// A task that completes the next time a job slot frees (the worker's next booking) or the queue closes. A waiter
    /// takes it, then checks again before it waits, so a booking in between is not missed.
    /// </summary>
    public Task NextRoom()
    {
        lock (_roomGate)
        {
            // Continuations run asynchronously: the signal comes under the store's lock, which no waiter's code may run under.
            return (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private void SignalRoom() => Signal(ref _room);

    /// <summary>Completes and clears <paramref name="signal"/> (<see cref="_room"/> or <see cref="_idle"/>), if a waiter made it.</summary>
    private void Signal(ref TaskCompletionSource? signal)
    {
        TaskCompletionSource? waiters;
        lock (_roomGate)
        {
            waiters = signal;
            signal = null;
        }

        waiters?.TrySetResult();
    }

    /// <summary>
    /// A task that completes the next time the last pending job completes. A waiter takes it, then checks
    /// <see cref="Pending"/> again before it waits, so a queue emptied in between is not missed.
    /// </summary>
    private Task NextIdle()
    {
        lock (_roomGate)
        {
            // Continuations run asynchronously: the signal comes under the store's lock (a blocking Wait is woken at once).
            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>A whole staging buffer, to copy a block into.</summary>
    public Span<byte> Buffer(int buffer) => _buffers[buffer];

    /// <summary>
    /// The staged bytes of a job (its length set by <see cref="Enqueue"/>): its held source slot's payload in place when
    /// it has one (<see cref="Hold"/>), else its buffer.
    /// </summary>
    public ReadOnlySpan<byte> Staged(int buffer) => _sources[buffer] is { } source
        ? source.Direct!.Payload(_sourceSlots[buffer])[.._lengths[buffer]]
        : _buffers[buffer].AsSpan(0, _lengths[buffer]);

    /// <summary>
    /// The staged bytes of a job as memory, for an asynchronous write: its buffer, into which a held source slot's
    /// payload is copied first (a span of a tier's slot cannot outlive the call; the slot stays held, unchanged, until
    /// the job is booked, so the block is still read from there meanwhile).
    /// </summary>
    public ReadOnlyMemory<byte> StagedMemory(int buffer)
    {
        if (_sources[buffer] is { } source)
        {
            source.Direct!.Payload(_sourceSlots[buffer])[.._lengths[buffer]].CopyTo(_buffers[buffer]);
        }

        return _buffers[buffer].AsMemory(0, _lengths[buffer]);
    }

    /// <summary>
    /// Makes job <paramref name="buffer"/> write straight from <paramref name="slot"/> of <paramref name="source"/>
    /// (held out of use by the caller until the job is booked) instead of its buffer. Call under the store's lock.
    /// </summary>
    public void Hold(int buffer, Tier source, int slot)
    {
        _sources[buffer] = source;
        _sourceSlots[buffer] = slot;
    }

    /// <summary>The source slot job <paramref name="buffer"/> holds (<see cref="Hold"/>); false when it was staged in its buffer.</summary>
    public bool TryGetHeld(int buffer, out Tier source, out int slot)
    {
        source = _sources[buffer]!;
        slot = _sourceSlots[buffer];
        return source is not null;
    }

    /// <summary>Hands a filled buffer (or, with buffer -1, a slot to free) to the worker. Call under the store's lock.</summary>
    public void Enqueue(in WriteBehindJob job)
    {
        if (job.Buffer >= 0)
        {
            _lengths[job.Buffer] = job.Length;
        }

        Interlocked.Increment(ref _pending);
        if (!_jobs.Writer.TryWrite(job))
        {
            ThrowHelper.ThrowInvalidOperation("The write-behind queue was closed with a demotion in hand; this is a bug in the store.");
        }
    }

    /// <summary>Marks one job done (after the store has booked its outcome); the last one wakes <see cref="WaitIdle"/>.</summary>
    public void Completed()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            Signal(ref _idle);
        }
    }

    /// <summary>Stops accepting jobs; the worker finishes the queued ones and ends. Call under the store's lock.</summary>
    public void Close()
    {
        _closed = true;
        _jobs.Writer.TryComplete();
        _slots.Close(); // a put waiting for room goes on, with no promise, and writes synchronously
        SignalRoom();
    }

    /// <summary>The jobs, in order, for the one worker.</summary>
    public ChannelReader<WriteBehindJob> Jobs => _jobs.Reader;

    /// <summary>
    /// Blocks until every enqueued job has completed, on the signal the worker gives as it books the last one
    /// (<see cref="Completed"/>; no spinning, no polling). Jobs enqueued meanwhile are waited for too.
    /// </summary>
    public void WaitIdle()
    {
        while (Pending != 0)
        {
            Task idle = NextIdle();
            if (Pending != 0)
            {
                idle.Wait();
                Interlocked.Increment(ref _idleWakeups);
            }
        }
    }

    /// <summary>Whether a <see cref="WaitIdle"/> call waits on the signal now (for tests: a waiter blocked, not spinning).</summary>
    internal bool HasIdleWaiter
    {
        get
        {
            lock (_roomGate)
            {
                return _idle is not null;
            }
        }
    }

    /// <summary>How many times <see cref="WaitIdle"/> woke on the signal (for tests: once per emptying, never a poll).</summary>
    internal int IdleWakeups => Volatile.Read(ref _idleWakeups);
}
