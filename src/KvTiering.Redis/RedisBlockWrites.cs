using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// A <see cref="RedisBlockDevice"/>'s writes: a slot's block set on the server (sync and awaited) and recorded in the
/// slot map, a slot freed (the value deleted only with <see cref="RedisTierOptions.DeleteOnFree"/>), and a block copied
/// to the server without a slot for other stores (<see cref="RedisBlockDevice.ShareAsync"/>). The value itself (header,
/// checksums, seal) and the back-off are <see cref="RedisValues"/>'.
/// </summary>
internal sealed class RedisBlockWrites
{
    private readonly RedisDeviceGuard _guard;
    private readonly RedisSlotMap _slots;
    private readonly RedisValues _values;
    private readonly bool _deleteOnFree;

    public RedisBlockWrites(RedisDeviceGuard guard, RedisSlotMap slots, RedisValues values, bool deleteOnFree)
    {
        _guard = guard;
        _slots = slots;
        _values = values;
        _deleteOnFree = deleteOnFree;
    }

    /// <summary><see cref="RedisBlockDevice.Write"/>: the slot is forgotten first, so a write that throws leaves it empty.</summary>
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _guard.EnsureWritable(slot, key, payload.Length);
        _slots.Forget(slot);
        RedisKey serverKey = _values.Set(key, parent, payload);
        _slots.Record(slot, key, payload.Length, serverKey);
    }

    /// <summary><see cref="RedisBlockDevice.WriteAsync"/>: cancellation is checked before the value is sent; once sent, it completes.</summary>
    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _guard.EnsureWritable(slot, key, payload.Length);
        cancellationToken.ThrowIfCancellationRequested();
        _slots.Forget(slot);
        RedisKey serverKey = await _values.SetAsync(key, parent, payload.Span).ConfigureAwait(false);
        _slots.Record(slot, key, payload.Length, serverKey);
    }

    /// <summary><see cref="RedisBlockDevice.Free"/>: the block stays on the server for other stores unless told to delete it.</summary>
    public void Free(int slot)
    {
        _guard.EnsureUsable(slot);
        if (_slots.Length(slot) != 0 && _deleteOnFree)
        {
            _values.DeleteQuietly(_slots.ServerKey(slot));
        }

        _slots.Forget(slot);
    }

    /// <summary><see cref="RedisBlockDevice.ShareAsync"/>: a slot write's value under the block's own server key, no slot.</summary>
    public async ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _guard.ThrowIfDisposed();
        _slots.CheckWrite(key, payload.Length);
        cancellationToken.ThrowIfCancellationRequested();
        await _values.SetAsync(key, parent, payload.Span).ConfigureAwait(false);
    }
}
