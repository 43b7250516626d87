using KvTiering.Blocks;
using KvTiering.Devices;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>The awaitable slot calls (<see cref="IAsyncBlockDevice"/>): the same reads and writes as the synchronous ones, the round trip awaited.</summary>
public sealed partial class RedisBlockDevice
{
    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="Read"/>, with the server's reply awaited (StackExchange.Redis's <c>StringGetLeaseAsync</c>), so the
    /// store's <c>TryGetAsync</c> waits for the network outside its lock and without a blocked thread. A cancelled
    /// read leaves the slot as it was; the reply, if it still comes, is discarded.
    /// </remarks>
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        EnsureUsable(slot);
        cancellationToken.ThrowIfCancellationRequested();
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length == 0)
        {
            return -1;
        }

        RedisKey serverKey = _slots.ServerKey(slot);
        if (!_backoff.TryEnter())
        {
            return -1;
        }

        Lease<byte>? lease;
        Task<Lease<byte>?> pending = _database.StringGetLeaseAsync(serverKey);
        try
        {
            lease = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = pending.ContinueWith(static t => t.Result?.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            _backoff.OnFault(ex);
            return -1;
        }

        _backoff.OnSuccess();
        return Verified(Received(serverKey, key, length, lease, destination.Span), length, destination.Span);
    }

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="Write"/>, with the server's acknowledgement awaited (<c>StringSetAsync</c>). Cancellation is
    /// checked before the value is sent; once sent, the write completes.
    /// </remarks>
    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        EnsureWritable(slot, key, payload.Length);

        cancellationToken.ThrowIfCancellationRequested();
        RedisKey serverKey = BeginWrite(slot, key, parent, payload.Span, out byte[] buffer, out int valueLength);
        try
        {
            await _database.StringSetAsync(serverKey, new ReadOnlyMemory<byte>(buffer, 0, valueLength), _expiry, When.Always)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            WriteFaulted(key, ex);
        }

        EndWrite(slot, key, payload.Length, serverKey, buffer);
    }
}
