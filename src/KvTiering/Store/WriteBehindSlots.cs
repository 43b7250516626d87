namespace KvTiering.Store;

/// <summary>
/// The write-behind queue's job slots and who may take them (<see cref="WriteBehindQueue"/>): a put is promised one
/// before it takes the store's lock (<see cref="TryGrant"/>), at once while one is free and nobody waits ahead of it,
/// else in arrival order as the worker frees them, one slot to one put (<see cref="Return"/>). Under the lock the put's
/// promise is lent to its hold (<see cref="Lend"/>) and its demotion's <see cref="TryRent"/> takes that slot; any other
/// renter (a promotion's victim, a put that found room without waiting) takes only slots nobody was promised.
/// </summary>
/// <remarks>
/// Before, every waiting put woke on any freed slot and raced for it: a put beside a second writer at full speed woke,
/// found the slot gone, and waited again, several times over (a writer's slowest puts waited 12 ms for room at 64 KiB
/// on flash, session writers32), and a put that passed the wait could still find the queue full under the lock and
/// write its demotion on its own path. A FIFO hand-off, as a fair semaphore's, bounds a put's wait by the puts ahead of
/// it. Every member takes a small lock of its own (the waiters enqueue without the store's lock).
/// </remarks>
internal sealed class WriteBehindSlots
{
    private readonly object _gate = new();
    private readonly int[] _free;
    private readonly Queue<TaskCompletionSource<bool>> _waiters = new(); // puts waiting for a job slot, oldest first
    private int _freeTop;
    private int _granted; // slots promised to puts and not yet taken or given back: never more than are free
    private int _lent;    // 1 while the put holding the store's lock has its promise lent to the hold (Lend)
    private bool _closed;
    private int _waiting; // puts in _waiters not yet promised a slot (read without _gate: a hint for the worker)

    public WriteBehindSlots(int depth)
    {
        _free = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            _free[i] = depth - 1 - i;
        }

        _freeTop = depth;
    }

    /// <summary>
    /// Whether <see cref="TryRent"/> would succeed: the lock holder has a promise lent, or a slot is free that no put was
    /// promised. Call under the store's lock.
    /// </summary>
    public bool HasFree
    {
        get
        {
            lock (_gate)
            {
                return _lent > 0 || _freeTop > _granted;
            }
        }
    }

    /// <summary>
    /// Takes a job slot: the lock holder's lent promise first, else a slot nobody was promised; -1 when none (the queue
    /// is full). Call under the store's lock.
    /// </summary>
    public int TryRent()
    {
        lock (_gate)
        {
            if (_lent > 0)
            {
                _lent = 0;
                _granted--; // the promised slot is this one: free slots never number fewer than the promises
                return _free[--_freeTop];
            }

            return _freeTop > _granted ? _free[--_freeTop] : -1;
        }
    }

    /// <summary>Frees a job slot and promises it to the longest-waiting put, if any. Call under the store's lock.</summary>
    public void Return(int slot)
    {
        lock (_gate)
        {
            _free[_freeTop++] = slot;
            GrantWaiters();
        }
    }

    /// <summary>
    /// A job slot for a put, before it takes the store's lock: true when one is promised to it now; false with
    /// <paramref name="wait"/>, a task that completes in arrival order, true once a slot is promised, false if the queue
    /// closes first; false with no task when it is closed. A promise is used through <see cref="Lend"/> and
    /// <see cref="TryRent"/>, or given back with <see cref="Release"/>.
    /// </summary>
    public bool TryGrant(out Task<bool>? wait)
    {
        lock (_gate)
        {
            wait = null;
            if (_closed)
            {
                return false;
            }

            if (_waiters.Count == 0 && _freeTop > _granted)
            {
                _granted++;
                return true;
            }

            // Continuations run asynchronously: a promise is made under the store's lock, which no waiter's code may run under.
            var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            Volatile.Write(ref _waiting, _waiters.Count);
            wait = waiter.Task;
            return false;
        }
    }

    /// <summary>Gives back a promise the put did not use; the next waiting put gets it.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _granted--;
            GrantWaiters();
        }
    }

    /// <summary>
    /// Ends a wait from <see cref="TryGrant"/> whose put gave up (cancelled): it leaves the line, or, if its slot was
    /// promised meanwhile, the promise passes on.
    /// </summary>
    public void Abandon(Task<bool> wait)
    {
        lock (_gate)
        {
            foreach (TaskCompletionSource<bool> waiter in _waiters)
            {
                if (waiter.Task == wait)
                {
                    waiter.TrySetCanceled(); // GrantWaiters skips it
                    return;
                }
            }
        }

        if (wait.IsCompletedSuccessfully && wait.Result)
        {
            Release();
        }
    }

    /// <summary>Lends a put's promise to its hold of the store's lock, for the hold's <see cref="TryRent"/>. Call under that lock.</summary>
    public void Lend()
    {
        lock (_gate)
        {
            _lent = 1;
        }
    }

    /// <summary>Ends a lend: true when the hold did not use the promise (the put keeps it). Call under the store's lock.</summary>
    public bool TakeBack()
    {
        lock (_gate)
        {
            bool unused = _lent > 0;
            _lent = 0;
            return unused;
        }
    }

    /// <summary>Ends every wait with no promise (the queue is closing: the puts go on and write synchronously).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            while (_waiters.TryDequeue(out TaskCompletionSource<bool>? waiter))
            {
                waiter.TrySetResult(false);
            }

            Volatile.Write(ref _waiting, 0);
        }
    }

    /// <summary>
    /// Whether a put waits for a job slot now, read without a lock (a hint): the worker then books what it wrote at
    /// once, waiting for the store's lock if it must, rather than write on and book a batch later.
    /// </summary>
    public bool HasWaiters => Volatile.Read(ref _waiting) > 0;

    /// <summary>Puts waiting for a job slot now (for tests).</summary>
    internal int Waiters
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count(w => !w.Task.IsCompleted);
            }
        }
    }

    /// <summary>Promises a free slot to each of the oldest waiting puts, one each. Call under <see cref="_gate"/>.</summary>
    private void GrantWaiters()
    {
        while (_freeTop > _granted && _waiters.TryDequeue(out TaskCompletionSource<bool>? waiter))
        {
            _granted++;
            if (!waiter.TrySetResult(true))
            {
                _granted--; // cancelled while it waited (Abandon)
            }
        }

        Volatile.Write(ref _waiting, _waiters.Count);
    }
}
