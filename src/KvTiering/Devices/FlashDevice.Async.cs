using KvTiering.Blocks;

namespace KvTiering.Devices;

// Not an unsafe part: an await may not sit in an unsafe context.
public sealed partial class FlashDevice
{
    /// <inheritdoc />
    /// <remarks>
    /// The same checks as <see cref="Read"/>, with the aligned I/O awaited through <see cref="RandomAccess.ReadAsync(Microsoft.Win32.SafeHandles.SafeFileHandle, Memory{byte}, long, CancellationToken)"/>
    /// on the O_DIRECT handle, in one of the pool's native buffers (waiting for one is awaited too, so the queue depth
    /// still bounds the I/Os in flight). A cancelled read changes nothing.
    /// </remarks>
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int length = BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _storedLengths[slot];
        ulong checksum = _checksums[slot];
        long offset = _geometry.SlotOffset(slot);
        NativeBufferMemory buffer = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Memory<byte> io = buffer.Memory[..FlashGeometry.IoBytes(storedLength)];
            int read = 0;
            while (read < io.Length)
            {
                int got = await RandomAccess.ReadAsync(_handle, io[read..], offset + read, cancellationToken).ConfigureAwait(false);
                if (got <= 0)
                {
                    break;
                }

                read += got;
            }

            return Verify(io.Span, read, slot, key, length, storedLength, checksum, destination.Span[..length]);
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
        EnsureWritable(slot, key, payload.Length);

        NativeBufferMemory buffer = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int ioBytes = Encode(buffer.GetSpan(), slot, key, parent, payload.Span, out int storedLength, out ulong checksum);
            long offset = _geometry.SlotOffset(slot);
            try
            {
                if (FailWrite is { } fail && fail(offset, ioBytes))
                {
                    throw new IOException($"Injected write failure of {ioBytes} bytes at offset {offset} in '{FilePath}'.");
                }

                await RandomAccess.WriteAsync(_handle, buffer.Memory[..ioBytes], offset, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                InvalidateHeader(slot);
                throw;
            }

            Remember(slot, key, payload.Length, storedLength, checksum);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }
}
