using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// A device over a tier that other stores share (a Redis or Garnet server, for example), so it may hold blocks this
/// store never put. On a local miss the store asks it before giving up: a hit is served from that tier and adopted
/// into the store as if it had just been put. Keys are content addresses, so a block another store put under a key is
/// the block this store would have put.
/// </summary>
/// <remarks>
/// The store calls every member outside its lock (a round trip must not hold up other threads' puts and hits), with a
/// place in the device's read window for a fetch. Every call must be safe to make from any thread, must verify what it
/// returns like <see cref="IBlockDevice.Read"/>, and must not throw for a missing block or a fault of the shared tier:
/// it reports a miss.
/// </remarks>
public interface IRemoteBlockSource
{
    /// <summary>
    /// Reads the block named <paramref name="key"/> from the shared tier into <paramref name="destination"/>,
    /// verifying its key, length and checksum.
    /// </summary>
    /// <param name="key">The block's key.</param>
    /// <param name="destination">Where the payload goes.</param>
    /// <param name="parent">The block's parent key, as its writer stored it.</param>
    /// <param name="failure">
    /// Why a fetch that returned -1 missed, this call's own (no field shared between threads holds it):
    /// <see cref="ReadFailure.Lost"/>, the tier has no such block (never put, evicted, expired);
    /// <see cref="ReadFailure.Corrupt"/>, its value failed verification (checksum, seal, a header that is not the
    /// block's: damaged or forged); <see cref="ReadFailure.Unreachable"/>, the tier could not be asked (down, timed out,
    /// backing off), so it may still hold the block. <see cref="ReadFailure.Unknown"/> on a hit; a miss left
    /// <see cref="ReadFailure.Unknown"/> is taken as corrupt, as a device read's is.
    /// </param>
    /// <returns>The payload length, or -1 on a miss (<paramref name="failure"/> says why).</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the block.</exception>
    int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure);

    /// <summary>
    /// <see cref="TryFetch"/> awaited: the store's <c>TryGetAsync</c> (and so a batch's reads) await it outside the
    /// store's lock instead of blocking a thread for the round trip. Verifies as <see cref="TryFetch"/> does. The default
    /// runs <see cref="TryFetch"/> synchronously, so a source that has no awaitable call still works.
    /// </summary>
    /// <param name="key">The block's key.</param>
    /// <param name="destination">Where the payload goes; the caller keeps it until the task completes.</param>
    /// <param name="cancellationToken">Ends the wait for the reply; the reply, if it still comes, is discarded.</param>
    /// <returns>
    /// The payload length (-1 on a miss), the block's parent key, and why a miss missed (as <see cref="TryFetch"/>'s
    /// <c>failure</c>).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the block.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the reply came.</exception>
    ValueTask<(int Length, BlockKey Parent, ReadFailure Failure)> TryFetchAsync(BlockKey key, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int length = TryFetch(key, destination.Span, out BlockKey parent, out ReadFailure failure);
        return ValueTask.FromResult((length, parent, failure));
    }

    /// <summary>
    /// How many leading blocks of <paramref name="keys"/> the shared tier holds, stopping at the first absent one; one
    /// pipelined round trip, not one per block. Zero when the tier is unavailable.
    /// </summary>
    int MatchPrefix(ReadOnlySpan<BlockKey> keys);

    /// <summary>
    /// Which of <paramref name="keys"/> the shared tier holds, in any order and not only a prefix: a restore looking for
    /// any of a prompt's snapshot keys, or a router checking reuse before a prefill. Held means a value whose header is
    /// the key's own (as <see cref="MatchPrefix"/> checks it: a value of another namespace or format, or a forged header,
    /// is not held); the bytes are verified only when fetched. Never throws for a fault of the tier: a tier that cannot
    /// be asked holds nothing. The default asks <see cref="MatchPrefix"/> one key at a time, a round trip each; a source
    /// that can pipeline should answer in one round trip.
    /// </summary>
    /// <param name="keys">The keys asked about.</param>
    /// <param name="held">Receives, per key, whether the tier holds it; at least as long as <paramref name="keys"/>.</param>
    /// <returns>How many of <paramref name="keys"/> the tier holds.</returns>
    int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held[i] = MatchPrefix(keys.Slice(i, 1)) == 1;
            count += held[i] ? 1 : 0;
        }

        return count;
    }

    /// <summary>
    /// <see cref="Holds"/> awaited: an asynchronous caller (a restore looking for its snapshot) does not block a thread
    /// for the round trip. The default runs <see cref="Holds"/> synchronously, so a source without an awaitable call
    /// still works.
    /// </summary>
    /// <param name="keys">The keys asked about; the caller keeps them until the task completes.</param>
    /// <param name="held">Receives, per key, whether the tier holds it; at least as long as <paramref name="keys"/>.</param>
    /// <param name="cancellationToken">Ends the wait for the replies.</param>
    /// <returns>How many of <paramref name="keys"/> the tier holds.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before the replies came.</exception>
    ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Holds(keys.Span, held.Span));
    }

    /// <summary>
    /// Whether <see cref="ShareAsync"/> writes copies: the store's <c>ShareAsync</c> refuses, with
    /// <see cref="NotSupportedException"/>, to share through a source that cannot. False by default.
    /// </summary>
    bool CanShare => false;

    /// <summary>
    /// Writes a copy of a block this store holds elsewhere to the shared tier, under its content address, so every store
    /// of the fleet can fetch it; no slot of this device is taken, and the store keeps the block where it is. The value
    /// is exactly what a slot write of the block would store (header, checksum, seal), so a fetch verifies it. The
    /// store calls it outside its lock, with the payload read from the block's tier.
    /// </summary>
    /// <param name="key">The block's key.</param>
    /// <param name="parent">The block's parent key.</param>
    /// <param name="payload">The block's payload: 1 to the device's slot size bytes; the caller keeps it until the task completes.</param>
    /// <param name="cancellationToken">Checked before the value is sent; once sent, the write completes.</param>
    /// <returns>A task that completes when the shared tier acknowledged the value.</returns>
    /// <exception cref="IOException">The tier is unavailable or the write failed; nothing is claimed written.</exception>
    /// <exception cref="NotSupportedException">The source cannot share (<see cref="CanShare"/> is false): the default.</exception>
    ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        ValueTask.FromException(new NotSupportedException($"{GetType().Name} cannot write copies to its shared tier (CanShare is false)."));
}
