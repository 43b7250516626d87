using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// The device's conversation with the server about single values: a block's server key, its sealed value set and got
/// back verified, and best-effort deletes and expiry renewals (a prefix match's pipelined header reads are
/// <see cref="RedisPrefixMatcher"/>'s). Every call goes through
/// the <see cref="RedisBackoff"/> first and reports its fault or success to it; counts go to the device's
/// <see cref="RedisDeviceCounters"/>. It knows nothing of slots: <see cref="RedisBlockDevice"/> maps slots to keys.
/// Safe from any thread.
/// </summary>
internal sealed class RedisValues
{
    /// <summary>What <see cref="Get"/> returns when the server has no value under the key.</summary>
    public const int Absent = -2;

    /// <summary>What <see cref="Get"/> returns for a value that failed verification (checksum, seal, key); it was deleted.</summary>
    public const int Corrupt = -3;

    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly string _namespace;
    private readonly TimeSpan? _expiry;
    private readonly bool _slidingExpiry;
    private readonly int _slotBytes;
    private readonly RedisValueSealer _sealer;
    private readonly RedisBackoff _backoff;
    private readonly RedisDeviceCounters _counters;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeProvider _time;

    public RedisValues(IDatabase database, RedisTierOptions options, int slotBytes, RedisValueSealer sealer,
        RedisBackoff backoff, RedisDeviceCounters counters)
    {
        _database = database;
        _namespace = options.Namespace;
        _prefix = System.Text.Encoding.UTF8.GetBytes(options.Namespace + ":");
        _expiry = options.Expiry;
        _slidingExpiry = options.SlidingExpiry && options.Expiry is not null;
        _slotBytes = slotBytes;
        _sealer = sealer;
        _backoff = backoff;
        _counters = counters;
        _operationTimeout = options.OperationTimeout;
        _time = options.TimeProvider;
    }

    /// <summary>
    /// Seals and sets the block's value; its server key. Throws <see cref="IOException"/> at once when the tier is
    /// unavailable, or when the write fails (both counted as dropped writes).
    /// </summary>
    public RedisKey Set(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        RedisKey serverKey = Seal(key, parent, payload, out byte[] buffer, out int valueLength);
        try
        {
            _database.StringSet(serverKey, new ReadOnlyMemory<byte>(buffer, 0, valueLength), _expiry, When.Always);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            WriteFaulted(key, ex);
        }

        Written(buffer);
        return serverKey;
    }

    /// <summary><see cref="Set"/> with the server's acknowledgement awaited; the payload is sealed before the call returns.</summary>
    public ValueTask<RedisKey> SetAsync(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        RedisKey serverKey = Seal(key, parent, payload, out byte[] buffer, out int valueLength);
        return SendAsync(serverKey, key, buffer, valueLength);
    }

    private async ValueTask<RedisKey> SendAsync(RedisKey serverKey, BlockKey key, byte[] buffer, int valueLength)
    {
        try
        {
            // Bounded here, not only by the connection's AsyncTimeout: StackExchange.Redis checks that on its heartbeat
            // (once a second), so a reply up to a second past the timeout came back a success and ended the back-off.
            await Bounded(_database.StringSetAsync(serverKey, new ReadOnlyMemory<byte>(buffer, 0, valueLength), _expiry, When.Always))
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            WriteFaulted(key, ex);
        }

        Written(buffer);
        return serverKey;
    }

    /// <summary>Seals the block into a value buffer; throws at once when the tier is unavailable.</summary>
    private RedisKey Seal(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload, out byte[] buffer, out int valueLength)
    {
        if (!_backoff.TryEnter())
        {
            Interlocked.Increment(ref _counters.DroppedWrites);
            ThrowHelper.ThrowUnavailable($"The Redis tier '{_namespace}' is unavailable; the block was not written.");
        }

        buffer = _sealer.Seal(key, parent, payload, out valueLength);
        return ServerKey(key);
    }

    /// <summary>Books a failed write and throws; the buffer is given up (a timed-out command may still be queued with it).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void WriteFaulted(in BlockKey key, Exception ex)
    {
        Interlocked.Increment(ref _counters.DroppedWrites);
        _backoff.OnFault(ex);
        ThrowHelper.ThrowUnavailable($"Writing block {key} to the Redis tier '{_namespace}' failed: {ex.Message}", ex);
    }

    /// <summary>Books a written block and hands the value buffer back for the next write.</summary>
    private void Written(byte[] buffer)
    {
        _backoff.OnSuccess();
        Interlocked.Increment(ref _counters.Writes);
        _sealer.Return(buffer);
    }

    /// <summary>
    /// GETs one value and verifies it as the block <paramref name="key"/> of at most <paramref name="maxLength"/> bytes.
    /// </summary>
    /// <returns>
    /// The payload length; <see cref="Absent"/> when the server has no such value; <see cref="Corrupt"/> for a value that
    /// failed verification; -1 when the server could not be asked (backed off, or the call faulted).
    /// </returns>
    public int Get(RedisKey serverKey, in BlockKey key, int maxLength, Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        if (!_backoff.TryEnter(probeAlone: true))
        {
            return -1;
        }

        Lease<byte>? lease;
        try
        {
            lease = _database.StringGetLease(serverKey);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            _backoff.OnFault(ex);
            return -1;
        }

        _backoff.OnSuccess();
        return Received(serverKey, key, maxLength, lease, destination, out parent);
    }

    /// <summary>
    /// <see cref="Get"/> with the server's reply awaited (<c>StringGetLeaseAsync</c>): the payload length (as
    /// <see cref="Get"/> answers) and the block's parent key (a fetch adopts it). A cancelled read throws; the reply, if
    /// it still comes, is discarded.
    /// </summary>
    public async ValueTask<(int Read, BlockKey Parent)> GetAsync(RedisKey serverKey, BlockKey key, int maxLength,
        Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!_backoff.TryEnter(probeAlone: true))
        {
            return (-1, BlockKey.Empty);
        }

        Lease<byte>? lease;
        Task<Lease<byte>?> pending = _database.StringGetLeaseAsync(serverKey);
        try
        {
            // Bounded by OperationTimeout here (the connection checks its AsyncTimeout only once a second): a read the
            // server answers later is a fault, as a synchronous read's is, not a hit that waited past the timeout.
            lease = await pending.WaitAsync(_operationTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            DisposeLate(pending);
            throw;
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            DisposeLate(pending);
            _backoff.OnFault(ex);
            return (-1, BlockKey.Empty);
        }

        _backoff.OnSuccess();
        int read = Received(serverKey, key, maxLength, lease, destination.Span, out BlockKey parent);
        return (read, parent);
    }

    /// <summary>
    /// <paramref name="pending"/> bounded by <see cref="RedisTierOptions.OperationTimeout"/> on the tier's clock: a
    /// <see cref="TimeoutException"/> once it has passed. An abandoned call's late fault is observed, not left unobserved.
    /// </summary>
    private Task Bounded(Task pending)
    {
        if (pending.IsCompleted)
        {
            return pending;
        }

        Task bounded = pending.WaitAsync(_operationTimeout, _time);
        _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return bounded;
    }

    /// <summary>A read given up on (timed out or cancelled): its lease, if the reply still comes, is disposed; a late fault observed.</summary>
    private static void DisposeLate(Task<Lease<byte>?> pending) =>
        _ = pending.ContinueWith(static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result?.Dispose();
                }
                else
                {
                    _ = t.Exception;
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Verifies and copies a value the server returned (null: it had none), disposing the lease.</summary>
    private int Received(RedisKey serverKey, in BlockKey key, int maxLength, Lease<byte>? lease, Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        if (lease is null)
        {
            return Absent;
        }

        int read;
        using (lease)
        {
            read = RedisBlockHeader.TryCopyPayload(lease.Span, key, maxLength, _sealer.Authenticator, destination, out parent);
        }

        if (read < 0)
        {
            Interlocked.Increment(ref read == RedisBlockHeader.Unauthentic ? ref _counters.AuthenticationFailures : ref _counters.ChecksumFailures);
            DeleteQuietly(serverKey);
            return Corrupt;
        }

        if (_slidingExpiry)
        {
            Send(serverKey, static (db, k, expiry) => db.KeyExpire(k, expiry, CommandFlags.FireAndForget));
        }

        return read;
    }

    /// <summary>Deletes a value without waiting; best effort (the value expires anyway).</summary>
    public void DeleteQuietly(RedisKey serverKey) =>
        Send(serverKey, static (db, k, _) => db.KeyDelete(k, CommandFlags.FireAndForget));

    private void Send(RedisKey serverKey, Action<IDatabase, RedisKey, TimeSpan?> command)
    {
        try
        {
            command(_database, serverKey, _expiry);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            // Fire-and-forget: a lost renewal or delete costs nothing that expiry does not fix.
        }
    }

    /// <summary>The server key of <paramref name="key"/>: the namespace prefix and the key's 32 hex digits.</summary>
    public RedisKey ServerKey(in BlockKey key)
    {
        var bytes = new byte[_prefix.Length + 32];
        _prefix.CopyTo(bytes, 0);
        Span<byte> hex = bytes.AsSpan(_prefix.Length);
        key.High.TryFormat(hex, out _, "x16", provider: null);
        key.Low.TryFormat(hex[16..], out _, "x16", provider: null);
        return bytes;
    }
}
