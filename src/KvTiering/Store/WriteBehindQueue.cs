using System.Threading.Channels;

namespace KvTiering.Store;

/// <summary>
/// Demotions waiting to be written into a slow tier: a fixed set of job slots, each with a staging buffer (one block),
/// and the jobs that name them, written by one background worker outside the store's lock. A job's bytes are either
/// its buffer or, when the victim's source slot is held for it (<see cref="Hold"/>), that slot in place. Bounded by
/// its job slots: a put waits before it takes the lock while none is free (<see cref="WriteBehind.WaitForRoom"/>, on a
/// signal the worker gives when it frees one), and a
/// demotion that finds none under the lock is written on the put's path, counted; none is dropped for want of room.
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
    private readonly int[] _free;
    private readonly Channel<WriteBehindJob> _jobs =
        Channel.CreateUnbounded<WriteBehindJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _roomGate = new();
    private TaskCompletionSource? _room; // set when a job slot frees; made by the first waiter after the last signal
    private TaskCompletionSource? _idle; // set when the last pending job completes; made by the first waiter after the last signal
    private int _idleWakeups;
    private int _freeTop;
    private volatile bool _closed; // read by puts waiting for room, without the store's lock
    private int _pending; // jobs enqueued and not yet completed

    public WriteBehindQueue(int depth, int blockBytes)
    {
        _buffers = new byte[depth][];
        _lengths = new int[depth];
        _sources = new Tier?[depth];
        _sourceSlots = new int[depth];
        _free = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            _buffers[i] = GC.AllocateUninitializedArray<byte>(blockBytes, pinned: true);
            _free[i] = depth - 1 - i;
        }

        _freeTop = depth;
    }

    /// <summary>How many staging buffers (and so jobs in flight) the queue has.</summary>
    public int Depth => _buffers.Length;

    /// <summary>Whether no new job is accepted (the store is closing): demotions then write synchronously.</summary>
    public bool IsClosed => _closed;

    /// <summary>Jobs enqueued and not yet completed.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Whether a job slot is free (<see cref="TryRent"/> would succeed). Call under the store's lock.</summary>
    public bool HasFree => _freeTop > 0;

    /// <summary>Whether a job slot is free, read without the store's lock (a hint: another put may take it first).</summary>
    public bool HasRoom => Volatile.Read(ref _freeTop) > 0;

    /// <summary>Takes a staging buffer; -1 when all are in use (the queue is full). Call under the store's lock.</summary>
    public int TryRent() => _freeTop == 0 ? -1 : _free[--_freeTop];

    /// <summary>Gives a staging buffer back, waking the puts waiting for room. Call under the store's lock.</summary>
    public void Return(int buffer)
    {
        _lengths[buffer] = 0;
        _sources[buffer] = null;
        _free[_freeTop++] = buffer;
        SignalRoom();
    }

    /// <summary>
    /// A task that completes the next time a job slot frees or the queue closes. A waiter takes it, then checks
    /// <see cref="HasRoom"/> again before it waits, so a slot freed in between is not missed.
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
        SignalRoom(); // a put waiting for room goes on, and writes synchronously
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
