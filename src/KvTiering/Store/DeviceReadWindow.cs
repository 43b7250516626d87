using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The places for reads in flight on one tier's device (<see cref="IConcurrentReads.ReadWindow"/> of them), shared by
/// every read of the device the store runs: prefetches, batches, single lookups and a shared tier's queries
/// (<see cref="AsyncReader"/>, <see cref="LockedReader"/>, <see cref="RemoteProbe"/>, <see cref="RemoteQueries"/>), so a
/// server that restores several sessions or looks up blocks on many request threads at once keeps at most the device's
/// window of reads on it in all, not a window each.
/// A read takes a place before it is sent (under the lock, without waiting: <see cref="DevicePlaces.TryEnter()"/>) and gives it back
/// when the device's read ends, not in the block's turn (<see cref="SlotReads.Ended"/>), so a place is only ever held
/// by a read on the wire or by a reader on its way to send one. A reader that finds the window full gives back
/// everything it took for the block and waits (<see cref="DevicePlaces.EnterAsync"/>, or <see cref="DevicePlaces.Enter"/> for a synchronous
/// lookup), holding nothing another reader or <c>Dispose</c> waits for; the place its wait takes is its to use on the
/// block's next try, and only that try's. Waiters are served first come, first served, before any new reader.
/// </summary>
/// <remarks>
/// One device call runs under the store's lock, where nothing may wait, and takes no place: a block's move out of the
/// tier (<see cref="BlockIo"/>, for a windowed tier with a tier below it). The places bound every other read to the window
/// (a shared tier's fetch and prefix query included, both outside the lock since probe29), and the lock runs one such
/// move at a time, so the device has at most its window of reads and that one call in flight. Taking a place for it
/// anyway could not make that bound tighter (the call cannot wait for one), only hold back readers already granted one.
/// </remarks>
internal sealed class DeviceReadWindow : DevicePlaces
{
    /// <param name="size">The device's window, validated when it was opened (TierDevices.Create).</param>
    public DeviceReadWindow(int size)
        : base(size)
    {
    }
}
