using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Redis;

/// <summary>
/// Whether a <see cref="RedisBlockDevice"/> call may run: the device still open, the slot in range, and for a write a
/// key and a payload that fits (the slot rules themselves are <see cref="RedisSlotMap"/>'s). Owns the device's
/// disposed flag.
/// </summary>
internal sealed class RedisDeviceGuard
{
    private readonly RedisBlockDevice _device; // named in ObjectDisposedException
    private readonly RedisSlotMap _slots;
    private volatile int _disposed; // 0 open, 1 closed: an int so two racing Dispose calls close once

    public RedisDeviceGuard(RedisBlockDevice device, RedisSlotMap slots)
    {
        _device = device;
        _slots = slots;
    }

    /// <summary>Marks the device closed; true for the call that did (later calls find it closed).</summary>
    public bool TryClose()
    {
        return Interlocked.Exchange(ref _disposed, 1) == 0;
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the device is closed.</summary>
    public void ThrowIfDisposed()
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(_device);
        }
    }

    /// <summary>The checks every slot call makes: an open device, a slot in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnsureUsable(int slot)
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(_device);
        }

        _slots.CheckSlot(slot);
    }

    /// <summary>The checks every write makes (sync and async): a usable slot, a payload that fits, a key.</summary>
    public void EnsureWritable(int slot, in BlockKey key, int payloadLength)
    {
        EnsureUsable(slot);
        _slots.CheckWrite(key, payloadLength);
    }
}
