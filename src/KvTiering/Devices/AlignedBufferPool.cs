using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace KvTiering.Devices;

/// <summary>
/// A fixed number of page-aligned native buffers, one per I/O in flight: it bounds both the device's memory and its
/// queue depth. A caller that finds every buffer taken waits for one, so at most <see cref="Count"/> I/Os run at once.
/// </summary>
internal sealed unsafe class AlignedBufferPool : IDisposable
{
    private readonly ConcurrentStack<nint> _free = new();
    private readonly ConcurrentBag<nint> _all = [];
    private readonly SemaphoreSlim _slots;
    private int _disposed;

    public AlignedBufferPool(int count, int bytes)
    {
        Count = count;
        Bytes = bytes;
        _slots = new SemaphoreSlim(count, count);
    }

    /// <summary>Buffers, and so I/Os in flight, at most.</summary>
    public int Count { get; }

    /// <summary>Bytes per buffer, a multiple of <see cref="FlashGeometry.PageBytes"/>.</summary>
    public int Bytes { get; }

    /// <summary>Takes a buffer, waiting while all are in use; allocates lazily up to <see cref="Count"/>.</summary>
    public byte* Rent()
    {
        _slots.Wait();
        if (_free.TryPop(out nint buffer))
        {
            return (byte*)buffer;
        }

        byte* fresh = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, FlashGeometry.PageBytes);
        _all.Add((nint)fresh);
        return fresh;
    }

    /// <summary>Hands a buffer from <see cref="Rent"/> back.</summary>
    public void Return(byte* buffer)
    {
        _free.Push((nint)buffer);
        _slots.Release();
    }

    /// <summary>Frees every buffer; the device calls it only when no I/O is in flight.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_all.TryTake(out nint buffer))
        {
            NativeMemory.AlignedFree((void*)buffer);
        }

        _slots.Dispose();
    }
}
