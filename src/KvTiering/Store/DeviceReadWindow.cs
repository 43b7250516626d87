using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The places for reads in flight on one tier's device (<see cref="IConcurrentReads.ReadWindow"/> of them), shared by
/// every read of the device the store runs: prefetches, batches, single lookups and a shared tier's queries
/// (<see cref="AsyncReader"/>, <see cref="LockedReader"/>, <see cref="RemoteProbe"/>, <see cref="RemoteQueries"/>), so a
/// server that restores several sessions or looks up blocks on many request threads at once keeps at most the device's
/// window of reads on it in all, not a window each.
/// A read takes a place before it is sent (under the lock, without waiting: <see cref="TryEnter"/>) and gives it back
/// when the device's read ends, not in the block's turn (<see cref="SlotReads.Ended"/>), so a place is only ever held
/// by a read on the wire or by a reader on its way to send one. A reader that finds the window full gives back
/// everything it took for the block and waits (<see cref="EnterAsync"/>, or <see cref="Enter"/> for a synchronous
/// lookup), holding nothing another reader or <c>Dispose</c> waits for; the place its wait takes is its to use on the
/// block's next try, and only that try's. Waiters are served first come, first served, before any new reader.
/// </summary>
/// <remarks>
/// Not a <see cref="SemaphoreSlim"/>: that one is disposable, and a store has no point at which every reader of a
/// window has surely given its place back (a reader woken after <c>Dispose</c> still hands its place on). One device
/// call runs under the store's lock, where nothing may wait, and takes no place: a block's move out of the tier
/// (<see cref="BlockIo"/>, for a windowed tier with a tier below it). The places bound every other read to the window
/// (a shared tier's fetch and prefix query included, both outside the lock since probe29), and the lock runs one such
/// move at a time, so the device has at most its window of reads and that one call in flight. Taking a place for it
/// anyway could not make that bound tighter (the call cannot wait for one), only hold back readers already granted one.
/// </remarks>
internal sealed class DeviceReadWindow
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new(); // oldest first; a cancelled one leaves at the head
    private int _taken;

    /// <param name="size">The device's window, validated when it was opened (TierDevices.Create).</param>
    public DeviceReadWindow(int size) => Size = size;

    /// <summary>Reads the device keeps in flight at most.</summary>
    public int Size { get; }

    /// <summary>Places taken now: reads in flight, and places handed to readers on their way to send one (tests).</summary>
    public int Taken
    {
        get
        {
            lock (_gate)
            {
                return _taken;
            }
        }
    }

    /// <summary>Takes a place if one is free and nobody waits for one; never waits (it runs under the store's lock).</summary>
    public bool TryEnter()
    {
        lock (_gate)
        {
            if (_taken == Size || AnyWaiting())
            {
                return false;
            }

            _taken++;
            return true;
        }
    }

    /// <summary>Waits for a place, after the readers already waiting; the caller holds no slot, reader or lock meanwhile.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; no place was taken.</exception>
    public async Task EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_taken < Size && !AnyWaiting())
            {
                _taken++;
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        // Granted (by Exit) and cancelled both complete the waiter under the gate, so exactly one of them does.
        using (cancellationToken.Register(() => Cancel(waiter, cancellationToken)))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits, blocking the thread, for a place, after the readers already waiting: a synchronous lookup's, which has no
    /// token and holds no slot, reader or lock meanwhile. The reads in flight end on their own (the device's), so the
    /// wait ends; a waiter the window's own reads would have to wake on a thread pool starved of threads waits the
    /// longer, as any synchronous call that blocks on I/O does.
    /// </summary>
    public void Enter()
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_taken < Size && !AnyWaiting())
            {
                _taken++;
                return;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        // Only Exit completes it (no token cancels it); a blocked Wait is woken inline, needing no thread pool thread.
        waiter.Task.Wait();
    }

    /// <summary>Gives a place back (a read ended, or a place waited for was not used): to the oldest waiter, if any.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            while (_waiters.TryDequeue(out TaskCompletionSource? next))
            {
                if (next.TrySetResult()) // its continuation runs elsewhere: the place passes on, still taken
                {
                    return;
                }
            }

            _taken--;
        }
    }

    private void Cancel(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            waiter.TrySetCanceled(cancellationToken);
        }
    }

    /// <summary>Under the gate: whether a waiter not cancelled is queued (cancelled ones at the head leave first).</summary>
    private bool AnyWaiting()
    {
        while (_waiters.TryPeek(out TaskCompletionSource? head) && head.Task.IsCompleted)
        {
            _waiters.Dequeue();
        }

        return _waiters.Count > 0;
    }
}
