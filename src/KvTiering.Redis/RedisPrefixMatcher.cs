using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// Header queries on the server: a prefix match for <see cref="RedisBlockDevice.MatchPrefix"/> (the leading keys whose
/// block headers verify, read in pipelined batches of header-range reads) and <see cref="RedisBlockDevice.Holds"/>
/// (which keys of a set do, in one pipelined batch). Goes through the <see cref="RedisBackoff"/> and reports
/// its fault or success to it, as <see cref="RedisValues"/> does for single values. Safe from any thread.
/// </summary>
internal sealed class RedisPrefixMatcher
{
    /// <summary>Keys per pipelined batch of a prefix match; a long prefix stops after the batch that holds its end.</summary>
    internal const int MatchBatchSize = 256;

    private readonly IDatabase _database;
    private readonly RedisValues _values;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeProvider _time;
    private readonly int _slotBytes;
    private readonly RedisValueSealer _sealer;
    private readonly RedisBackoff _backoff;
    private readonly RedisDeviceCounters _counters;
    private readonly RedisDeviceGuard _guard;

    public RedisPrefixMatcher(IDatabase database, RedisValues values, RedisTierOptions options, int slotBytes,
        RedisValueSealer sealer, RedisBackoff backoff, RedisDeviceCounters counters, RedisDeviceGuard guard)
    {
        _guard = guard;
        _database = database;
        _values = values;
        _operationTimeout = options.OperationTimeout;
        _time = options.TimeProvider;
        _slotBytes = slotBytes;
        _sealer = sealer;
        _backoff = backoff;
        _counters = counters;
    }

    /// <summary>
    /// The leading keys whose headers verify on the server, read in pipelined batches of <see cref="MatchBatchSize"/>
    /// (<c>GETRANGE</c> of the header, and of the seal with authentication); stops at a fault or the back-off.
    /// </summary>
    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        _guard.ThrowIfDisposed();
        int matched = 0;
        while (matched < keys.Length)
        {
            if (!_backoff.TryEnter(probeAlone: true))
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

    /// <summary>
    /// Which of <paramref name="keys"/> the server holds under a header that verifies, all of them read in one pipelined
    /// batch (one round trip; a cluster's nodes each get their share in parallel); none on a fault or the back-off.
    /// </summary>
    public int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        CheckHolds(keys.Length, held.Length);
        held[..keys.Length].Clear();
        if (keys.IsEmpty || !_backoff.TryEnter(probeAlone: true))
        {
            return 0;
        }

        Task<RedisValue>[]? headers = ReadHeaders(keys);
        Interlocked.Increment(ref _counters.HoldsQueries);
        return headers is null ? 0 : Mark(headers, keys, held);
    }

    /// <summary>
    /// <see cref="Holds"/> awaited: the same pipelined batch, its replies awaited up to the operation timeout on the
    /// tier's clock instead of blocking a thread for the round trip.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before the replies came (the back-off hears nothing).</exception>
    public ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken)
    {
        CheckHolds(keys.Length, held.Length); // thrown to the caller, not into the task
        return HoldsCheckedAsync(keys, held, cancellationToken);
    }

    private async ValueTask<int> HoldsCheckedAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken)
    {
        held.Span[..keys.Length].Clear();
        if (keys.IsEmpty || !_backoff.TryEnter(probeAlone: true))
        {
            return 0;
        }

        Task<RedisValue>[]? headers = SendHeaders(keys.Span);
        if (headers is not null)
        {
            try
            {
                await Task.WhenAll(headers).WaitAsync(_operationTimeout, _time, cancellationToken).ConfigureAwait(false);
                _backoff.OnSuccess();
            }
            catch (OperationCanceledException)
            {
                ObserveLater(headers);
                throw;
            }
            catch (Exception ex) when (RedisBackoff.IsFault(ex))
            {
                ObserveLater(headers);
                _backoff.OnFault(ex);
                headers = null;
            }
        }

        Interlocked.Increment(ref _counters.HoldsQueries);
        return headers is null ? 0 : Mark(headers, keys.Span, held.Span);
    }

    /// <summary>Marks the keys whose completed headers verify; how many do.</summary>
    private int Mark(Task<RedisValue>[] headers, ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held[i] = Verifies(headers[i].Result, keys[i]);
            count += held[i] ? 1 : 0;
        }

        return count;
    }

    /// <summary>Leading keys of one batch whose headers verify on the server; 0 on a fault.</summary>
    private int MatchBatch(ReadOnlySpan<BlockKey> keys)
    {
        Task<RedisValue>[]? headers = ReadHeaders(keys);
        for (int i = 0; headers is not null && i < keys.Length; i++)
        {
            if (!Verifies(headers[i].Result, keys[i]))
            {
                return i;
            }
        }

        return headers is null ? 0 : keys.Length;
    }

    /// <summary>Whether <paramref name="header"/> is <paramref name="key"/>'s own, sealed where the tier seals.</summary>
    private bool Verifies(RedisValue header, in BlockKey key)
    {
        byte[]? bytes = header;
        return bytes is not null && RedisBlockHeader.TryRead(bytes, key, _slotBytes, _sealer.Authenticator, out _);
    }

    /// <summary>
    /// The header (and seal) of every key, read in one pipelined batch of <c>GETRANGE</c>s and completed; null on a
    /// fault or a timeout, which starts the back-off (a success ends it).
    /// </summary>
    private Task<RedisValue>[]? ReadHeaders(ReadOnlySpan<BlockKey> keys)
    {
        Task<RedisValue>[]? pending = SendHeaders(keys);
        if (pending is null)
        {
            return null;
        }

        try
        {
            if (!Task.WaitAll(pending, _operationTimeout))
            {
                ObserveLater(pending);
                _backoff.OnFault(new TimeoutException($"A header query of {keys.Length} keys took longer than {_operationTimeout}."));
                return null;
            }
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner && RedisBackoff.IsFault(inner))
        {
            ObserveLater(pending);
            _backoff.OnFault(inner);
            return null;
        }

        _backoff.OnSuccess();
        return pending;
    }

    /// <summary>Sends the pipelined batch of header reads; null when sending itself failed (the back-off started).</summary>
    private Task<RedisValue>[]? SendHeaders(ReadOnlySpan<BlockKey> keys)
    {
        var pending = new Task<RedisValue>[keys.Length];
        try
        {
            IBatch batch = _database.CreateBatch();
            for (int i = 0; i < keys.Length; i++)
            {
                pending[i] = batch.StringGetRangeAsync(_values.ServerKey(keys[i]), 0, _sealer.HeaderBytes - 1);
            }

            batch.Execute();
            return pending;
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            ObserveLater(pending);
            _backoff.OnFault(ex);
            return null;
        }
    }

    private static void ObserveLater(Task?[] tasks)
    {
        foreach (Task? task in tasks)
        {
            _ = task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>An open device, and a place in <c>held</c> for every key.</summary>
    private void CheckHolds(int keys, int held)
    {
        _guard.ThrowIfDisposed();
        if (held < keys)
        {
            ThrowHelper.ThrowArgument(nameof(held), $"held has {held} places for {keys} keys.");
        }
    }
}
