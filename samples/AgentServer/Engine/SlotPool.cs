namespace AgentServer.Engine;

/// <summary>
/// Hands out a fixed set of engine slots: a request takes a free one, waits in a bounded queue when none is free,
/// and is refused at once when the queue is full (the caller answers 429).
/// </summary>
internal sealed class SlotPool<T> where T : class
{
    private readonly Lock _gate = new();
    private readonly Stack<T> _free;
    private readonly LinkedList<TaskCompletionSource<T>> _waiting = new();
    private readonly int _queueLength;
    private readonly int _total;

    public SlotPool(IEnumerable<T> slots, int queueLength)
    {
        _free = new Stack<T>(slots.Reverse());
        _total = _free.Count;
        _queueLength = queueLength;
    }

    /// <summary>Slots in all.</summary>
    public int Total => _total;

    /// <summary>Slots serving a request now.</summary>
    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return _total - _free.Count;
            }
        }
    }

    /// <summary>Requests waiting for a slot now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>A free slot now, a task for one when the queue has room, or null when the queue is full.</summary>
    public Task<T>? TryAcquire(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_free.TryPop(out T? slot))
            {
                return Task.FromResult(slot);
            }

            if (_waiting.Count >= _queueLength)
            {
                return null;
            }

            var waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            LinkedListNode<TaskCompletionSource<T>> node = _waiting.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    lock (_gate)
                    {
                        if (node.List is not null)
                        {
                            _waiting.Remove(node);
                        }
                    }

                    waiter.TrySetCanceled(cancellationToken);
                });
            }

            return waiter.Task;
        }
    }

    /// <summary>Gives a slot back: to the oldest waiter, or to the free set.</summary>
    public void Release(T slot)
    {
        while (true)
        {
            TaskCompletionSource<T>? next;
            lock (_gate)
            {
                if (_waiting.First is not { } first)
                {
                    _free.Push(slot);
                    return;
                }

                next = first.Value;
                _waiting.RemoveFirst();
            }

            if (next.TrySetResult(slot))
            {
                return;
            }
        }
    }
}
