namespace KvTiering.Store;

/// <summary>
/// A device's places for operations in flight, taken before an operation is sent and given back when the device's
/// operation ends: <see cref="Size"/> of them, handed out first come, first served, waiters before any newcomer. Which
/// operations take places, and why, is the subclass's (<see cref="DeviceReadWindow"/>, <see cref="DeviceWriteWindow"/>).
/// </summary>
/// <remarks>
/// Not a <see cref="SemaphoreSlim"/>: that one is disposable, and a store has no point at which every reader or writer
/// has surely given its place back (one woken after <c>Dispose</c> still hands its place on). A waiter is granted (by
/// <see cref="Exit"/>) or cancelled under the gate, so exactly one of the two completes it; a cancelled one stays queued
/// until it reaches the head, where <see cref="AnyWaiting"/> drops it.
/// </remarks>
internal abstract class DevicePlaces
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new(); // oldest first; a cancelled one leaves at the head
    private int _taken;

    /// <param name="size">The device's window, validated when it was opened (TierDevices.Create).</param>
    protected DevicePlaces(int size) => Size = size;

    /// <summary>Operations the device keeps in flight at most.</summary>
    public int Size { get; }

    /// <summary>Places taken now: operations in flight, and places held by callers on their way to send one (tests).</summary>
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

    /// <summary>Whether a caller waits for a place now (tests).</summary>
    public bool HasWaiters
    {
        get
        {
            lock (_gate)
            {
                return AnyWaiting();
            }
        }
    }

    /// <summary>Takes a place if one is free and nobody waits for one; never waits (it may run under the store's lock).</summary>
    public bool TryEnter() => TryEnter(1) == 1;

    /// <summary>Takes up to <paramref name="most"/> places that are free while nobody waits; never waits. How many it took.</summary>
    public int TryEnter(int most)
    {
        lock (_gate)
        {
            if (AnyWaiting())
            {
                return 0;
            }

            int taken = Math.Min(most, Size - _taken);
            _taken += taken;
            return taken;
        }
    }

    /// <summary>Waits for one place, after the callers already waiting; the caller holds no lock, slot or reader meanwhile.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; no place was taken.</exception>
    public Task EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_taken < Size && !AnyWaiting())
            {
                _taken++;
                return Task.CompletedTask;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled(cancellationToken);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return cancellationToken.CanBeCanceled ? WaitAsync(waiter, cancellationToken) : waiter.Task;
    }

    /// <summary>
    /// Waits, blocking the thread, for one place, after the callers already waiting: for a caller with no token that
    /// holds nothing another caller or <c>Dispose</c> waits for (a synchronous lookup, the write-behind worker). The
    /// operations in flight end on their own (the device's), so the wait ends.
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

    /// <summary>Gives <paramref name="count"/> places back (operations ended, or places taken and not used): to the oldest waiters first.</summary>
    public void Exit(int count = 1)
    {
        lock (_gate)
        {
            for (; count > 0; count--)
            {
                bool handed = false;
                while (!handed && _waiters.TryDequeue(out TaskCompletionSource? next))
                {
                    handed = next.TrySetResult(); // its continuation runs elsewhere: the place passes on, still taken
                }

                if (!handed)
                {
                    _taken -= count; // nobody waits: the rest are free
                    return;
                }
            }
        }
    }

    private async Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(() => Cancel(waiter, cancellationToken)))
        {
            await waiter.Task.ConfigureAwait(false);
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
