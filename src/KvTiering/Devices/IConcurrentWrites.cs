namespace KvTiering.Devices;

/// <summary>
/// An awaitable device that takes several writes at once for about the time of one: a remote server whose client
/// pipelines commands on one connection (<c>RedisBlockDevice</c>), where each write is a network round trip. When a
/// prefetch moves blocks up into a full tier whose victims go down to this device, the store's <c>PrefetchAsync</c>
/// then keeps up to <see cref="WriteWindow"/> of those demotion writes in flight instead of awaiting each before the
/// next; a device that does not declare it is written one block at a time, as before.
/// </summary>
/// <remarks>
/// Only the writes overlap: each victim stays where it was, readable, until its own write has landed, and moves down
/// only if its entry did not change meanwhile; a write that fails counts and drops its victim, as a demotion's failed
/// write always did. The contract of <see cref="IAsyncBlockDevice"/> holds: the writes are on different slots, never
/// with another call on the same slot.
/// </remarks>
public interface IConcurrentWrites : IAsyncBlockDevice
{
    /// <summary>
    /// How many of this device's writes are worth having in flight at once (1 to 1024; 1 writes one at a time). The
    /// store reads it once, when it opens, and rejects a value out of range.
    /// </summary>
    int WriteWindow { get; }
}
