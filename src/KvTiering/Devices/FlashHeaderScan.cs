namespace KvTiering.Devices;

/// <summary>
/// Reads the slots' headers for <see cref="FlashRecovery"/>: each slot's first page, up to the queue depth at once,
/// skipping the slots whose first page the file system reports as a hole (<see cref="FileDataRegions"/>), so opening a
/// large, mostly empty file costs the slots written, not the file's size.
/// </summary>
/// <remarks>
/// A hole reads as zeros, and a page of zeros is no header, so a skipped slot is one a read would have found empty:
/// skipping never loses a record. Where the file system cannot say, the scan reads every slot, as it did before holes
/// were asked about. A freed slot is a hole where the file system zeroes ranges (<see cref="FlashSlotRelease"/>); where
/// it cannot, its header was overwritten with zeros, which is data, and is still read.
/// </remarks>
internal sealed unsafe class FlashHeaderScan
{
    // Slots whose headers one worker takes at a time; the holes of a run are asked about by the worker that reads it.
    private const int SlotsPerRun = 256;

    private readonly FlashGeometry _geometry;
    private readonly FlashFile _file;
    private readonly AlignedBufferPool _pool;
    private readonly FlashBlockVerifier _verifier;
    private readonly int _queueDepth;
    private volatile bool _askHoles;

    /// <remarks>
    /// <paramref name="askHoles"/> false stands in for a file system that cannot report holes (a test seam): every slot
    /// is read.
    /// </remarks>
    public FlashHeaderScan(FlashGeometry geometry, FlashFile file, AlignedBufferPool pool, FlashBlockVerifier verifier,
        int queueDepth, bool askHoles)
    {
        _geometry = geometry;
        _file = file;
        _pool = pool;
        _verifier = verifier;
        _queueDepth = queueDepth;
        _askHoles = askHoles;
    }

    /// <summary>
    /// Reads the headers into <paramref name="headers"/>; per slot: 0 nothing, 1 a header this tier trusts, 2 a
    /// checksummed header it does not. <paramref name="headersRead"/> is the number of slots whose first page was read.
    /// </summary>
    public byte[] Read(FlashSlotHeader[] headers, out int headersRead)
    {
        int slotCount = _geometry.SlotCount;
        var found = new byte[slotCount];
        int runs = (slotCount + SlotsPerRun - 1) / SlotsPerRun;
        int read = 0;
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = _queueDepth }, run =>
        {
            byte* buffer = _pool.Rent();
            try
            {
                var page = new Span<byte>(buffer, FlashGeometry.PageBytes);
                int first = run * SlotsPerRun;
                int end = Math.Min(slotCount, first + SlotsPerRun);
                Interlocked.Add(ref read, ReadRun(page, first, end, headers, found));
            }
            finally
            {
                _pool.Return(buffer);
            }
        });

        headersRead = read;
        return found;
    }

    /// <summary>Reads the headers of slots [<paramref name="first"/>, <paramref name="end"/>) that may hold data; returns how many.</summary>
    private int ReadRun(Span<byte> page, int first, int end, FlashSlotHeader[] headers, byte[] found)
    {
        int read = 0;
        int slot = first;
        while (slot < end)
        {
            if (!_askHoles || !FileDataRegions.TryNextData(_file.Handle, _geometry.SlotOffset(slot), out long start, out long stop))
            {
                _askHoles = false; // the file system cannot say: read the rest, and do not ask again this scan or later
                for (; slot < end; slot++, read++)
                {
                    ReadHeader(page, slot, headers, found);
                }

                return read;
            }

            if (start == long.MaxValue)
            {
                return read; // no data from here to the file's end
            }

            // The slots whose first page [offset, offset + page) overlaps the data [start, stop).
            int firstData = SlotOf(start);
            if (start >= _geometry.SlotOffset(firstData) + FlashGeometry.PageBytes)
            {
                firstData++; // the data starts past this slot's header, in its payload
            }

            int lastData = SlotOf(stop - 1);
            for (int s = Math.Max(firstData, slot); s <= lastData && s < end; s++, read++)
            {
                ReadHeader(page, s, headers, found);
            }

            slot = Math.Max(slot + 1, lastData + 1);
        }

        return read;
    }

    /// <summary>The slot whose stride holds file offset <paramref name="offset"/> (slot 0 for the superblock).</summary>
    private int SlotOf(long offset) =>
        (int)Math.Clamp((offset - FlashGeometry.FirstSlotOffset) / _geometry.Stride, 0, _geometry.SlotCount - 1);

    private void ReadHeader(Span<byte> page, int slot, FlashSlotHeader[] headers, byte[] found)
    {
        int read = _file.ReadSlot(page, slot);
        if (FlashSlotHeader.TryRead(page[..read], slot, _geometry.SlotBytes, out headers[slot]))
        {
            found[slot] = _verifier.IsTrusted(page, headers[slot]) ? (byte)1 : (byte)2;
        }
    }
}
