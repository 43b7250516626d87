using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The places for writes in flight on one tier's device (<see cref="IConcurrentWrites.WriteWindow"/> of them), shared
/// by every writer the store runs that keeps several of the device's writes in flight: the write-behind worker
/// (<see cref="WriteBehindWindow"/>), each prefetch's demotions (<see cref="DemotionWindow"/>) and each share
/// (<see cref="SharedCopies"/>). A server that restores and saves several sessions at once so keeps at most the
/// device's window of these writes on it in all, not a window each, as <see cref="DeviceReadWindow"/> does for reads.
/// A writer takes a place before it sends a write and gives it back when the device's write ends (landed or failed),
/// so a place is only ever held by a write on the wire or by a writer on its way to send one, which waits for nothing
/// but the store's lock meanwhile. Waiters are served first come, first served, before any new writer.
/// </summary>
/// <remarks>
/// Why no wait for a place can deadlock: nothing that runs under the store's lock waits for a place (a prefetch takes
/// its places before it takes the lock to begin its moves, the worker and a share take theirs with no lock held), and
/// a place comes back without the lock: a write's end gives it back, and a writer holding places on its way to send
/// needs only the lock, whose holders never wait for a writer (a put waits for write-behind room before it takes the
/// lock). Not a <see cref="SemaphoreSlim"/>: that one is disposable, and a store has no point at which every writer
/// has surely given its place back (a waiter woken after <c>Dispose</c> still hands its place on when its write, which
/// the closed device refuses, ends). Writes outside these three writers take no place: a move under the lock (which
/// cannot wait), and one promotion's victim, copied by its caller one at a time.
/// </remarks>
internal sealed class DeviceWriteWindow
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new(); // oldest first; a cancelled one leaves at the head
    private int _taken;

    /// <param name="size">The device's window, validated when it was opened (TierDevices.Create).</param>
    public DeviceWriteWindow(int size) => Size = size;

    /// <summary>Writes the device keeps in flight at most.</summary>
    public int Size { get; }

    /// <summary>Places taken now: writes in flight, and places held by writers on their way to send one (tests).</summary>
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

    /// <summary>Whether a writer waits for a place now (tests).</summary>
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

    /// <summary>Waits for one place, after the writers already waiting; the caller holds no lock meanwhile.</summary>
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
    /// Waits, blocking the thread, for one place, after the writers already waiting: the write-behind worker's, a
    /// dedicated thread that holds no lock, job outcome or waiter of its own meanwhile (it books first). The writes in
    /// flight end on their own (the device's), so the wait ends.
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

    /// <summary>Gives <paramref name="count"/> places back (writes ended, or places taken and not used): to the oldest waiters first.</summary>
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
        // Granted (by Exit) and cancelled both complete the waiter under the gate, so exactly one of them does.
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
