namespace KvTiering.Store;

/// <summary>
/// A put's backpressure on the write-behind queue (<see cref="ReservedPut"/>): before it takes the store's lock the put
/// is promised a job slot, at once while one is free and no put waits ahead of it, else once the worker frees one for
/// it, in arrival order (<see cref="WriteBehindSlots.TryGrant"/>, no spinning), so a burst of puts whose blocks go into
/// a slow tier keeps pace with the tier instead of overflowing the queue, and a put beside a faster writer is not
/// passed over. The promise is lent to each of the put's lock holds (<see cref="Lend"/>, <see cref="TakeBack"/>), where
/// its demotion takes it, and given back unused at the put's end (<see cref="Release"/>).
/// </summary>
/// <remarks>
/// No promise without a queue, while flushing, or once closed. A write that still finds no slot under the lock (a
/// promotion's victim, a put's second victim) is written on its own path (<see cref="TierStatistics.WriteBehindOverflows"/>);
/// waiting there would deadlock, since the worker books under that lock.
/// </remarks>
internal sealed class WriteBehindRoom(WriteBehind writeBehind)
{
    /// <summary>Waits for a job slot before the lock; true when one is promised to the put (false: no queue, a flush, or closed).</summary>
    public bool WaitForRoom()
    {
        if (writeBehind.GatedSlots is not { } slots)
        {
            return false;
        }

        if (slots.TryGrant(out Task<bool>? wait))
        {
            return true;
        }

        if (wait is null)
        {
            return false; // closed meanwhile
        }

        long since = PutTrace.Now();
        bool promised = wait.GetAwaiter().GetResult();
        if (PutTrace.On)
        {
            PutTrace.AddRoom(since);
        }

        return promised;
    }

    /// <summary>
    /// Like <see cref="WaitForRoom"/>, awaiting the promise (no thread held while it waits); a cancellation ends the wait
    /// holding none.
    /// </summary>
    public ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (writeBehind.GatedSlots is not { } slots)
        {
            return ValueTask.FromResult(false);
        }

        if (slots.TryGrant(out Task<bool>? wait))
        {
            return ValueTask.FromResult(true);
        }

        return wait is null ? ValueTask.FromResult(false) : WaitSlowAsync(slots, wait, cancellationToken);
    }

    private static async ValueTask<bool> WaitSlowAsync(WriteBehindSlots slots, Task<bool> wait, CancellationToken cancellationToken)
    {
        try
        {
            return await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            slots.Abandon(wait); // out of the line, or a promise made meanwhile passed on
            throw;
        }
    }

    /// <summary>Lends a put's promise (<paramref name="promised"/>) to its hold of the lock. Call under the lock.</summary>
    public void Lend(bool promised)
    {
        if (promised)
        {
            writeBehind.Slots!.Lend();
        }
    }

    /// <summary>Ends <see cref="Lend"/>: whether the put still holds its promise (the hold did not use it). Call under the lock.</summary>
    public bool TakeBack(bool promised) => promised && writeBehind.Slots!.TakeBack();

    /// <summary>Gives back a promise the put did not use, for the next waiting put.</summary>
    public void Release(bool promised)
    {
        if (promised)
        {
            writeBehind.Slots!.Release();
        }
    }
}
