using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

// The block calls, synchronous and awaited, and the checks they make. Not an unsafe part: an await may not sit in an
// unsafe context, so only the synchronous calls, which hold a pool buffer by pointer, are unsafe.
public sealed partial class FlashDevice
{
    /// <inheritdoc />
    public unsafe void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        EnsureUsable(slot);
        _slots.CheckWrite(key, payload.Length);
        byte* buffer = _pool.Rent();
        try
        {
            var io = new Span<byte>(buffer, _pool.Bytes);
            int ioBytes = Encode(io, slot, key, parent, payload, out int storedLength, out ulong checksum);
            try
            {
                // No need to zero an old header first: the new header and payload land in one I/O, and if it tears,
                // the header that is on flash no longer matches the bytes beside it, so the slot reads as a miss.
                _file.WriteSlot(io[..ioBytes], slot);
            }
            catch (IOException)
            {
                // Part of the new block, or the old one, may be on flash; zeroing it is best effort, and the caller
                // sees the first error.
                Invalidate(slot);
                throw;
            }

            _slots.Remember(slot, key, payload.Length, storedLength, checksum);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Checks the key against the slot's record, reads the slot in one aligned I/O, and returns the payload only when
    /// its XxHash3 matches the checksum recorded for the slot and, on an authenticated tier, the seal read with it covers
    /// this key, this length and these bytes; otherwise the destination is cleared and the read misses.
    /// </remarks>
    public unsafe int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        EnsureUsable(slot);
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _slots.StoredLength(slot);
        ulong checksum = _slots.Checksum(slot);
        byte* buffer = _pool.Rent();
        try
        {
            var io = new Span<byte>(buffer, FlashGeometry.IoBytes(storedLength));
            int read = _file.ReadSlot(io, slot);
            return _verifier.Verify(io, read, slot, key, length, storedLength, checksum, destination[..length]);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <inheritdoc />
    public int PayloadLength(int slot)
    {
        EnsureUsable(slot);
        return _slots.PayloadLength(slot);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Zeroes the slot's first page. An I/O failure is swallowed (the store cannot act on it): the slot reads as free
    /// here, and until its next write a restart may recover the block, with its own verified bytes.
    /// </remarks>
    public void Free(int slot)
    {
        EnsureUsable(slot);
        if (_slots.TryFree(slot))
        {
            _recovery.SlotsChanged();
            Invalidate(slot);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same checks as <see cref="Read"/>, with the aligned I/O awaited through <see cref="RandomAccess.ReadAsync(Microsoft.Win32.SafeHandles.SafeFileHandle, Memory{byte}, long, CancellationToken)"/>
    /// on the O_DIRECT handle, in one of the pool's native buffers (waiting for one is awaited too, so the queue depth
    /// still bounds the I/Os in flight). A cancelled read changes nothing.
    /// </remarks>
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        EnsureUsable(slot);
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _slots.StoredLength(slot);
        ulong checksum = _slots.Checksum(slot);
        NativeBufferMemory buffer = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Memory<byte> io = buffer.Memory[..FlashGeometry.IoBytes(storedLength)];
            int read = await _file.ReadSlotAsync(io, slot, cancellationToken).ConfigureAwait(false);
            return _verifier.Verify(io.Span, read, slot, key, length, storedLength, checksum, destination.Span[..length]);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The block is laid out as <see cref="Write"/> lays it out, then written in one awaited aligned I/O. A write
    /// cancelled or failed mid-way leaves the slot invalid (its header zeroed, best effort), as a failed write does.
    /// </remarks>
    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        EnsureUsable(slot);
        _slots.CheckWrite(key, payload.Length);
        NativeBufferMemory buffer = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int ioBytes = Encode(buffer.GetSpan(), slot, key, parent, payload.Span, out int storedLength, out ulong checksum);
            try
            {
                await _file.WriteSlotAsync(buffer.Memory[..ioBytes], slot, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                Invalidate(slot);
                throw;
            }

            _slots.Remember(slot, key, payload.Length, storedLength, checksum);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <summary>Lays a block out in an aligned I/O buffer (<see cref="FlashBlockEncoder"/>); returns the I/O's length.</summary>
    private int Encode(Span<byte> io, int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload,
        out int storedLength, out ulong checksum)
    {
        int ioBytes = _encoder.Encode(io, slot, key, parent, payload, out storedLength, out checksum);
        _recovery.SlotsChanged();
        return ioBytes;
    }

    /// <summary>Zeroes a slot's header, best effort: a failure leaves the slot stale.</summary>
    private void Invalidate(int slot) => _slots.Invalidated(slot, _file.TryZeroHeader(slot));

    /// <summary>The checks every call on a slot makes: an open device, a slot in range, the slots' states known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureUsable(int slot)
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{SlotCount - 1}.");
        }

        if (!_recovery.IsScanned)
        {
            _recovery.ScanOnce();
        }
    }
}
