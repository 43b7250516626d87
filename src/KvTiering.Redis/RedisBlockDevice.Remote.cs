using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

public sealed partial class RedisBlockDevice
{
    /// <summary>Keys per pipelined batch of a prefix match; a long prefix stops after the batch that holds its end.</summary>
    internal const int MatchBatchSize = 256;

    /// <summary>What <see cref="Get"/> returns when the server has no value under the key.</summary>
    private const int Absent = -2;

    /// <inheritdoc />
    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent)
    {
        ThrowIfDisposed();
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        Interlocked.Increment(ref _counters.Fetches);
        int read = Get(ServerKey(key), key, SlotBytes, destination, out parent);
        if (read < 0)
        {
            return -1;
        }

        Interlocked.Increment(ref _counters.FetchHits);
        return read;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reads only each value's header (<c>GETRANGE key 0 63</c>; with authentication the seal too, bytes 0 to 111),
    /// pipelined in batches of 256 keys; a header that does not verify, or whose seal does not, counts as absent. Each batch goes to whichever cluster nodes own its keys, in parallel.
    /// </remarks>
    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        ThrowIfDisposed();
        int matched = 0;
        while (matched < keys.Length)
        {
            if (!_backoff.TryEnter())
            {
                return matched;
            }

            ReadOnlySpan<BlockKey> batchKeys = keys.Slice(matched, Math.Min(MatchBatchSize, keys.Length - matched));
            int found = MatchBatch(batchKeys);
            matched += found;
            if (found < batchKeys.Length)
            {
                break;
            }
        }

        Interlocked.Increment(ref _counters.PrefixQueries);
        return matched;
    }

    /// <summary>Leading keys of one batch whose headers verify on the server; 0 on a fault.</summary>
    private int MatchBatch(ReadOnlySpan<BlockKey> keys)
    {
        var pending = new Task<RedisValue>[keys.Length];
        try
        {
            IBatch batch = _database.CreateBatch();
            for (int i = 0; i < keys.Length; i++)
            {
                pending[i] = batch.StringGetRangeAsync(ServerKey(keys[i]), 0, _sealer.HeaderBytes - 1);
            }

            batch.Execute();
            if (!Task.WaitAll(pending, _operationTimeout))
            {
                ObserveLater(pending);
                _backoff.OnFault(new TimeoutException($"A prefix match of {keys.Length} keys took longer than {_operationTimeout}."));
                return 0;
            }
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex) || ex is AggregateException { InnerException: { } inner } && RedisBackoff.IsFault(inner))
        {
            ObserveLater(pending);
            _backoff.OnFault(ex is AggregateException aggregate ? aggregate.InnerException! : ex);
            return 0;
        }

        _backoff.OnSuccess();
        for (int i = 0; i < keys.Length; i++)
        {
            byte[]? header = pending[i].Result;
            if (header is null || !RedisBlockHeader.TryRead(header, keys[i], SlotBytes, _sealer.Authenticator, out _))
            {
                return i;
            }
        }

        return keys.Length;
    }

    /// <summary>
    /// GETs one value and verifies it as the block <paramref name="key"/> of at most <paramref name="maxLength"/> bytes.
    /// </summary>
    /// <returns>The payload length; <see cref="Absent"/> when the server has no such value; -1 for a bad value or a fault.</returns>
    private int Get(RedisKey serverKey, in BlockKey key, int maxLength, Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        if (!_backoff.TryEnter())
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

    /// <summary>Verifies and copies a value the server returned (null: it had none), disposing the lease.</summary>
    private int Received(RedisKey serverKey, in BlockKey key, int maxLength, Lease<byte>? lease, Span<byte> destination) =>
        Received(serverKey, key, maxLength, lease, destination, out _);

    /// <inheritdoc cref="Received(RedisKey, in BlockKey, int, Lease{byte}?, Span{byte})"/>
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
            return -1;
        }

        if (_slidingExpiry)
        {
            Send(serverKey, static (db, k, expiry) => db.KeyExpire(k, expiry, CommandFlags.FireAndForget));
        }

        return read;
    }

    /// <summary>Deletes a value without waiting; best effort (the value expires anyway).</summary>
    private void DeleteQuietly(RedisKey serverKey) =>
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
    internal RedisKey ServerKey(in BlockKey key)
    {
        var bytes = new byte[_prefix.Length + 32];
        _prefix.CopyTo(bytes, 0);
        Span<byte> hex = bytes.AsSpan(_prefix.Length);
        key.High.TryFormat(hex, out _, "x16", provider: null);
        key.Low.TryFormat(hex[16..], out _, "x16", provider: null);
        return bytes;
    }

    private static void ObserveLater(Task[] tasks)
    {
        foreach (Task? task in tasks)
        {
            _ = task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }
    }
}
