using System.Runtime.CompilerServices;

namespace KvTiering.Devices;

/// <summary>
/// Whether a <see cref="FlashDevice"/> call may run: the device still open, the slot in range, the slots' states known
/// (the open's scan run, once, before the first slot call that needs it). Owns the device's disposed flag, so
/// <see cref="FlashDevice.Dispose"/> closes exactly once however many threads call it.
/// </summary>
internal sealed class FlashSlotGuard
{
    private readonly FlashDevice _device; // named in ObjectDisposedException
    private readonly int _slotCount;
    private readonly FlashRecovery _recovery;
    private int _disposed;

    public FlashSlotGuard(FlashDevice device, int slotCount, FlashRecovery recovery)
    {
        _device = device;
        _slotCount = slotCount;
        _recovery = recovery;
    }

    /// <summary>Marks the device closed; true for the one call that did.</summary>
    public bool TryClose() => Interlocked.Exchange(ref _disposed, 1) == 0;

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the device is closed.</summary>
    public void ThrowIfClosed()
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(_device);
        }
    }

    /// <summary>The checks every call on a slot makes: an open device, a slot in range, the slots' states known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Ensure(int slot)
    {
        ThrowIfClosed();
        if ((uint)slot >= (uint)_slotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{_slotCount - 1}.");
        }

        if (!_recovery.IsScanned)
        {
            _recovery.ScanOnce();
        }
    }

    /// <summary>
    /// <see cref="Ensure"/> for the awaitable calls: what it throws, or null. Their checks fault the returned task
    /// rather than throw, as they did while the calls were async methods, without a second state machine around
    /// <see cref="FlashSlotIo"/>'s.
    /// </summary>
    public Exception? Unusable(int slot)
    {
        try
        {
            Ensure(slot);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
