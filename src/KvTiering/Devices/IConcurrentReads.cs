namespace KvTiering.Devices;

/// <summary>
/// An awaitable device that serves several reads at once for about the time of one: a remote server whose client
/// pipelines commands on one connection (<c>RedisBlockDevice</c>), where each read is a network round trip. The store's
/// <c>PrefetchAsync</c> and <c>ReadBatchAsync</c> then keep up to <see cref="ReadWindow"/> of this tier's reads in flight
/// instead of awaiting each before they send the next: up to that many in all, however many prefetches, batches and
/// single lookups run at once (a reader that finds the window full waits for a place; a synchronous <c>TryGet</c>
/// blocks for it). A device that does not declare it is read one block at a time by each of them, as before.
/// </summary>
/// <remarks>
/// Only the reads overlap: the blocks still move up in their order in the request, one at a time, each only if its
/// entry did not change while it was read, so the window changes when a prefetch ends, never what it leaves behind.
/// The contract of <see cref="IAsyncBlockDevice"/> holds: the reads are on different slots, never with a write or a free
/// of the same slot.
/// </remarks>
public interface IConcurrentReads : IAsyncBlockDevice
{
    /// <summary>
    /// How many of this device's reads are worth having in flight at once (1 to 1024; 1 reads one at a time). The store
    /// reads it once, when it opens, and rejects a value out of range.
    /// </summary>
    int ReadWindow { get; }
}
