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
/// lock). A waiter woken after <c>Dispose</c> still hands its place on when its write, which the closed device
/// refuses, ends. Writes outside these three writers take no place: a move under the lock (which cannot wait), and one
/// promotion's victim, copied by its caller one at a time.
/// </remarks>
internal sealed class DeviceWriteWindow : DevicePlaces
{
    /// <param name="size">The device's window, validated when it was opened (TierDevices.Create).</param>
    public DeviceWriteWindow(int size)
        : base(size)
    {
    }
}
