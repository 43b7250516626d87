using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Redis;

/// <summary>
/// A <see cref="RedisBlockDevice"/>'s reads: a slot's block got back from the server (sync and awaited) and checked
/// to be the block written there, and a block fetched by key for another store (<see cref="RedisBlockDevice.TryFetch"/>);
/// each outcome (hit, vanished, wrong length, fetch) counted in <see cref="RedisDeviceCounters"/>. The value's own
/// verification (checksum, seal, deletion of a bad value) is <see cref="RedisValues"/>'.
/// </summary>
internal sealed class RedisBlockReads
{
    private readonly RedisDeviceGuard _guard;
    private readonly RedisSlotMap _slots;
    private readonly RedisValues _values;
    private readonly RedisDeviceCounters _counters;

    // Why each slot's latest failed read failed (IReadFailureReporting); written only on a miss.
    private readonly ReadFailure[] _failures;

    public RedisBlockReads(RedisDeviceGuard guard, RedisSlotMap slots, RedisValues values, RedisDeviceCounters counters)
    {
        _guard = guard;
        _slots = slots;
        _values = values;
        _counters = counters;
        _failures = new ReadFailure[slots.SlotCount];
    }

    /// <summary><see cref="RedisBlockDevice.LastReadFailure"/>: why the latest failed read of <paramref name="slot"/> missed.</summary>
    public ReadFailure LastReadFailure(int slot)
    {
        _guard.EnsureUsable(slot);
        return _failures[slot];
    }

    /// <summary><see cref="RedisBlockDevice.Read"/>: the payload's length, or -1 on a miss.</summary>
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        _guard.EnsureUsable(slot);
        int length = _slots.BeginRead(slot, key, destination.Length);
        return length == 0
            ? Failed(slot, ReadFailure.Lost)
            : Verified(slot, _values.Get(_slots.ServerKey(slot), key, length, destination, out _), length, destination);
    }

    /// <summary><see cref="RedisBlockDevice.ReadAsync"/>: <see cref="Read"/> with the server's reply awaited.</summary>
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        _guard.EnsureUsable(slot);
        cancellationToken.ThrowIfCancellationRequested();
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length == 0)
        {
            return Failed(slot, ReadFailure.Lost);
        }

        (int read, _) = await _values.GetAsync(_slots.ServerKey(slot), key, length, destination, cancellationToken).ConfigureAwait(false);
        return Verified(slot, read, length, destination.Span);
    }

    /// <summary>
    /// <see cref="RedisBlockDevice.TryFetch"/>: a block by key, up to a slot's bytes; -1 when absent, unverified or not
    /// reached, <paramref name="failure"/> saying which (this call's own: fetches run on many threads at once).
    /// </summary>
    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        _guard.ThrowIfDisposed();
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        Interlocked.Increment(ref _counters.Fetches);
        int read = _values.Get(_values.ServerKey(key), key, _slots.SlotBytes, destination, out parent);
        return Fetched(read, out failure);
    }

    /// <summary><see cref="RedisBlockDevice.TryFetchAsync"/>: <see cref="TryFetch"/> with the server's reply awaited, verified the same way.</summary>
    public async ValueTask<(int Length, BlockKey Parent, ReadFailure Failure)> TryFetchAsync(BlockKey key, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        _guard.ThrowIfDisposed();
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _counters.Fetches);
        (int read, BlockKey parent) = await _values.GetAsync(_values.ServerKey(key), key, _slots.SlotBytes, destination,
            cancellationToken).ConfigureAwait(false);
        int length = Fetched(read, out ReadFailure failure);
        return (length, length < 0 ? BlockKey.Empty : parent, failure);
    }

    /// <summary>
    /// A fetch's outcome: its length on a hit (counted), else -1 with why: no value under the key (lost: never put
    /// here, evicted, expired), a value that failed its checksum or seal (corrupt; <see cref="RedisValues"/> counted and
    /// deleted it), or no answer (unreachable: backed off, a fault or a timeout).
    /// </summary>
    private int Fetched(int read, out ReadFailure failure)
    {
        failure = ReadFailure.Unknown;
        if (read >= 0)
        {
            Interlocked.Increment(ref _counters.FetchHits);
            return read;
        }

        failure = read switch
        {
            RedisValues.Absent => ReadFailure.Lost,
            RedisValues.Corrupt => ReadFailure.Corrupt,
            _ => ReadFailure.Unreachable,
        };
        return -1;
    }

    /// <summary>
    /// A slot read's outcome: its length when the server's value is the block written there, else -1, counted and its
    /// cause recorded: the server had no value (lost: evicted, expired, a server restarted empty), a value that failed
    /// verification or was not the block written there (corrupt), or no answer (unreachable).
    /// </summary>
    private int Verified(int slot, int read, int length, Span<byte> destination)
    {
        if (read == length)
        {
            Interlocked.Increment(ref _counters.Hits);
            return read;
        }

        if (read == RedisValues.Absent)
        {
            Interlocked.Increment(ref _counters.Vanished);
            return Failed(slot, ReadFailure.Lost);
        }

        if (read >= 0)
        {
            // Verified, but not the length this slot was written with: not the block we wrote.
            destination[..read].Clear();
            Interlocked.Increment(ref _counters.ChecksumFailures);
            return Failed(slot, ReadFailure.Corrupt);
        }

        return Failed(slot, read == RedisValues.Corrupt ? ReadFailure.Corrupt : ReadFailure.Unreachable);
    }

    /// <summary>Records why a read of <paramref name="slot"/> missed; -1.</summary>
    private int Failed(int slot, ReadFailure cause)
    {
        _failures[slot] = cause;
        return -1;
    }
}
