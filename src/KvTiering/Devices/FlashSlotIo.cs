using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// A flash device's block calls once the device has checked the slot: a block laid out with its header
/// (<see cref="FlashBlockEncoder"/>) and written in one aligned I/O from the buffer pool, read back in one and verified
/// (<see cref="FlashBlockVerifier"/>), a slot freed by zeroing its bytes (<see cref="FlashSlotRelease"/>); synchronous
/// and awaited. Reads are counted in <see cref="FlashForegroundReads"/>. The sync calls hold a pool buffer by pointer,
/// so they are the unsafe members; an await may not sit in an unsafe context.
/// </summary>
internal sealed class FlashSlotIo(FlashSlotTable slots, FlashFile file, AlignedBufferPool pool, FlashBlockEncoder encoder,
    FlashBlockVerifier verifier, FlashRecovery recovery, FlashForegroundReads foreground, FlashSlotRelease release)
{
    private readonly FlashSlotTable _slots = slots;
    private readonly FlashFile _file = file;
    private readonly AlignedBufferPool _pool = pool;
    private readonly FlashBlockEncoder _encoder = encoder;
    private readonly FlashBlockVerifier _verifier = verifier;
    private readonly FlashRecovery _recovery = recovery;
    private readonly FlashForegroundReads _foreground = foreground; // the background verification steps back while reads run
    private readonly FlashSlotRelease _release = release;

    /// <summary>Lays the block out and writes it in one aligned I/O; a failed write leaves the slot invalid.</summary>
    public unsafe void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
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
                Invalidate(slot, ioBytes);
                throw;
            }

            _slots.Remember(slot, key, payload.Length, storedLength, checksum);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <summary>Reads the slot in one aligned I/O and returns the payload's length only when it verifies; else -1, the destination cleared.</summary>
    public unsafe int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _slots.StoredLength(slot);
        ulong checksum = _slots.Checksum(slot);
        _foreground.Begin();
        try
        {
            byte* buffer = _pool.Rent();
            try
            {
                var io = new Span<byte>(buffer, FlashGeometry.IoBytes(storedLength));
                int read = _file.ReadSlot(io, slot);
                int got = _verifier.Verify(io, read, slot, key, length, storedLength, checksum, destination[..length]);
                if (got < 0)
                {
                    _slots.ReadFailed(slot, _verifier.Diagnose(io, read, slot, key));
                }

                return got;
            }
            finally
            {
                _pool.Return(buffer);
            }
        }
        finally
        {
            _foreground.End();
        }
    }

    /// <summary>Forgets the slot and zeroes its record on flash, best effort.</summary>
    public void Free(int slot)
    {
        if (_slots.TryFree(slot))
        {
            _recovery.SlotsChanged();

            // The stored length survives TryFree: the range the record's write covered (a slot left stale by the open
            // never had one remembered, and gets its header's page).
            Invalidate(slot, FlashGeometry.IoBytes(_slots.StoredLength(slot)));
        }
    }

    /// <summary><see cref="Read"/> with the buffer and the I/O awaited; a cancelled read changes nothing.</summary>
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int length = _slots.BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _slots.StoredLength(slot);
        ulong checksum = _slots.Checksum(slot);
        _foreground.Begin();
        try
        {
            NativeBufferMemory buffer = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Memory<byte> io = buffer.Memory[..FlashGeometry.IoBytes(storedLength)];
                int read = await _file.ReadSlotAsync(io, slot, cancellationToken).ConfigureAwait(false);
                int got = _verifier.Verify(io.Span, read, slot, key, length, storedLength, checksum, destination.Span[..length]);
                if (got < 0)
                {
                    _slots.ReadFailed(slot, _verifier.Diagnose(io.Span, read, slot, key));
                }

                return got;
            }
            finally
            {
                _pool.Return(buffer);
            }
        }
        finally
        {
            _foreground.End();
        }
    }

    /// <summary><see cref="Write"/> with the buffer and the I/O awaited; a cancelled or failed write leaves the slot invalid.</summary>
    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
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
                Invalidate(slot, ioBytes);
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

    /// <summary>Zeroes a slot's first <paramref name="ioBytes"/> (or its header), best effort: a failure leaves the slot stale.</summary>
    private void Invalidate(int slot, int ioBytes) => _slots.Invalidated(slot, _release.Release(slot, ioBytes));
}
