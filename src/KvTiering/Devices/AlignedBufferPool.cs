using System.Runtime.InteropServices;

namespace KvTiering.Devices;

/// <summary>
/// A fixed number of page-aligned native buffers, one per I/O in flight: it bounds both the device's memory and its
/// queue depth. A caller that finds every buffer taken waits for one, so at most <see cref="Count"/> I/Os run at once.
/// </summary>
/// <remarks>
/// Renting and returning allocate nothing: the free buffers sit in a fixed array of cells (zero when empty) taken and
/// filled with interlocked exchanges, and a semaphore counts them. A buffer is stored before its permit is released,
/// so a caller holding a permit always finds one. The buffers are allocated up front; the kernel commits their pages
/// on first use, so an idle device's pool costs address space, not memory.
/// </remarks>
internal sealed class AlignedBufferPool : IDisposable
{
    private readonly nint[] _free;
    private readonly nint[] _all;
    private readonly NativeBufferMemory[] _memories; // each buffer as Memory<byte>, for asynchronous I/O
    private readonly SemaphoreSlim _slots;
    private int _disposed;

    public unsafe AlignedBufferPool(int count, int bytes)
    {
        Count = count;
        Bytes = bytes;
        _free = new nint[count];
        _all = new nint[count];
        _slots = new SemaphoreSlim(count, count);
        _memories = new NativeBufferMemory[count];
        for (int i = 0; i < count; i++)
        {
            _all[i] = _free[i] = (nint)NativeMemory.AlignedAlloc((nuint)bytes, FlashGeometry.PageBytes);
            _memories[i] = new NativeBufferMemory((byte*)_all[i], bytes);
        }
    }

    /// <summary>Buffers, and so I/Os in flight, at most.</summary>
    public int Count { get; }

    /// <summary>Bytes per buffer, a multiple of <see cref="FlashGeometry.PageBytes"/>.</summary>
    public int Bytes { get; }

    /// <summary>Takes a buffer, waiting while all are in use.</summary>
    public unsafe byte* Rent()
    {
        _slots.Wait();
        return Take();
    }

    /// <summary>
    /// Takes a buffer as <see cref="Memory{T}"/> (its whole length), awaiting one while all are in use. Not an unsafe
    /// member (only those that hold a buffer by pointer are): an await may not sit in an unsafe context.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; nothing was taken.</exception>
    public async ValueTask<NativeBufferMemory> RentAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return TakeMemory();
    }

    /// <summary>A free buffer as <see cref="Memory{T}"/>; the caller holds a permit.</summary>
    private unsafe NativeBufferMemory TakeMemory()
    {
        byte* buffer = Take();
        for (int i = 0; i < _all.Length; i++)
        {
            if (_all[i] == (nint)buffer)
            {
                return _memories[i];
            }
        }

        throw new InvalidOperationException("A rented buffer is not one of the pool's; this is a bug in the pool.");
    }

    /// <summary>Hands a buffer from <see cref="RentAsync"/> back.</summary>
    public unsafe void Return(NativeBufferMemory buffer) => Return(buffer.Pointer);

    /// <summary>A free buffer; the caller holds a permit.</summary>
    private unsafe byte* Take()
    {
        while (true)
        {
            // The permit guarantees a stored buffer; a pass can miss one only while another renter takes it first.
            for (int i = 0; i < _free.Length; i++)
            {
                nint buffer = Interlocked.Exchange(ref _free[i], 0);
                if (buffer != 0)
                {
                    return (byte*)buffer;
                }
            }
        }
    }

    /// <summary>Hands a buffer from <see cref="Rent"/> back.</summary>
    public unsafe void Return(byte* buffer)
    {
        while (true)
        {
            // This buffer is out of the array, so at least one cell is empty.
            for (int i = 0; i < _free.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _free[i], (nint)buffer, 0) == 0)
                {
                    _slots.Release();
                    return;
                }
            }
        }
    }

    /// <summary>Frees every buffer; the device calls it only when no I/O is in flight.</summary>
    public unsafe void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        for (int i = 0; i < _all.Length; i++)
        {
            NativeMemory.AlignedFree((void*)_all[i]);
            _all[i] = 0;
        }

        _slots.Dispose();
    }
}
