using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// A lower tier's slot read outside the store's lock, as a prefetch (<see cref="BlockPrefetch"/>,
/// <see cref="PrefetchWindow"/>) or a batch (<see cref="BatchReader"/>) runs it. Under the lock the read takes a place
/// in its device's window (<see cref="TryTakePlace"/>) and <see cref="Begin"/> keeps its slot from being freed or
/// rewritten and announces a store reader; the reader and the place end when the device's read does
/// (<see cref="Ended"/>), the slot when the read is booked in its turn, or by <see cref="Abandon"/> when it threw or
/// was given up.
/// </summary>
internal sealed class SlotReads(TopTierReader top)
{
    /// <summary>
    /// Under the lock: takes a place for a read of <paramref name="tier"/> in its device's window: the one a wait took
    /// for this block (<paramref name="held"/>, then cleared) or a free one. True also for a device without a window;
    /// false (nothing taken) when the window is full.
    /// </summary>
    public static bool TryTakePlace(Tier tier, ref DeviceReadWindow? held)
    {
        if (tier.ReadWindow is not { } window)
        {
            return true;
        }

        if (ReferenceEquals(held, window))
        {
            held = null;
            return true;
        }

        return window.TryEnter();
    }

    /// <summary>
    /// Under the lock: the slot's I/O count keeps it from being freed or rewritten until the read is booked or
    /// abandoned, and a store reader is announced: <c>Dispose</c> (which needs the lock) waits for the read to end.
    /// </summary>
    public void Begin(Tier tier, int slot)
    {
        SlotBinding.BeginSlotIo(tier, slot);
        top.EnterReader();
    }

    /// <summary>
    /// The device's read ended (done, thrown or cancelled): the store reader and the read's place in the window end
    /// with it, not in the block's turn. <c>Dispose</c> waits for readers under the lock, and a read done but waiting
    /// for its turn would wait for that lock in turn (Dispose during a prefetch's or a batch's reads hung so before
    /// remote26); a place held past the read would keep another reader of the device waiting for this one's turn.
    /// </summary>
    public void Ended(Tier tier)
    {
        top.ExitReader();
        tier.ReadWindow?.Exit();
    }

    /// <summary>
    /// Starts one read of an awaitable device, ending as <see cref="Ended"/> says; a device that throws before its task
    /// exists gives a faulted one, handed back in turn. A task, since it is awaited later, once, after others are sent.
    /// </summary>
    public async Task<int> Send(Tier tier, int slot, BlockKey key, Memory<byte> into, CancellationToken cancellationToken)
    {
        try
        {
            return await ((IAsyncBlockDevice)tier.Device).ReadAsync(slot, key, into, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Ended(tier);
        }
    }

    /// <summary>
    /// Ends a read that threw or was given up: the block stays where it was. Its store reader and place ended already,
    /// when the device's read did.
    /// </summary>
    public void Abandon(Tier tier, int slot)
    {
        using (top.EnterWrite())
        {
            if (!top.IsDisposed) // a disposed store's devices are closed: nothing to free
            {
                SlotBinding.EndSlotIo(tier, slot);
            }
        }
    }
}
