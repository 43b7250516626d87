using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// A device whose reads and writes can be awaited (flash through <see cref="RandomAccess"/>'s asynchronous calls, a
/// remote tier over the network): the store's <c>GetAsync</c>/<c>TryGetAsync</c> and <c>PutAsync</c> then await the
/// I/O, outside the store's lock, instead of blocking a thread on it. A device that does not declare it is called
/// synchronously, as before.
/// </summary>
/// <remarks>
/// The same contract as <see cref="IBlockDevice"/>: the store may have several calls in flight on different slots, never
/// a write concurrently with another call on the same slot, and never frees a slot while an I/O on it is in flight
/// (a cancelled call counts as in flight until its task completes). A cancelled read must leave the slot as it was.
/// </remarks>
public interface IAsyncBlockDevice : IBlockDevice
{
    /// <summary>Reads and verifies the block in <paramref name="slot"/>, as <see cref="IBlockDevice.Read"/> does.</summary>
    /// <returns>The payload length, or -1 when verification failed (a miss).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing changed.</exception>
    ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Writes one block into <paramref name="slot"/>, as <see cref="IBlockDevice.Write"/> does.</summary>
    /// <exception cref="IOException">The write failed; the slot is left invalid.</exception>
    ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
