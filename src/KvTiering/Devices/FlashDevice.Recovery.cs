using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    // Slots whose headers one recovery worker reads in a row before taking the next run.
    private const int SlotsPerRun = 256;

    /// <inheritdoc />
    /// <remarks>
    /// Reads every slot's first page, up to the queue depth at once, keeping each slot whose header verifies; of several
    /// slots holding one key, the highest generation wins and the others are invalidated, so an older copy cannot
    /// resurface once the newest is freed. Payload checksums are verified on each later read, not here. Write
    /// generations continue from the highest one found.
    /// </remarks>
    public IReadOnlyList<RecoveredBlock> Recover()
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        lock (_scanLock)
        {
            if (_recovered is null)
            {
                Scan();
            }

            return _recovered!.ToArray();
        }
    }

    /// <summary>Scans once, the first time any call needs the slots' states; concurrent first callers wait for it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ScanOnce()
    {
        lock (_scanLock)
        {
            if (!_scanned)
            {
                Scan();
            }
        }
    }

    /// <summary>Rebuilds every slot's state from the slots' headers and caches the blocks found.</summary>
    private void Scan()
    {
        var headers = new FlashSlotHeader[SlotCount];
        var valid = new bool[SlotCount];
        int runs = (SlotCount + SlotsPerRun - 1) / SlotsPerRun;
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = QueueDepth }, run =>
        {
            byte* buffer = _pool.Rent();
            try
            {
                var page = new Span<byte>(buffer, FlashGeometry.PageBytes);
                int end = Math.Min(SlotCount, (run + 1) * SlotsPerRun);
                for (int slot = run * SlotsPerRun; slot < end; slot++)
                {
                    int read = ReadAt(page, _geometry.SlotOffset(slot));
                    valid[slot] = FlashSlotHeader.TryRead(page[..read], slot, SlotBytes, out headers[slot]);
                }
            }
            finally
            {
                _pool.Return(buffer);
            }
        });

        var newest = new Dictionary<BlockKey, RecoveredBlock>();
        var superseded = new List<int>();
        ulong maxGeneration = 0;
        for (int slot = 0; slot < SlotCount; slot++)
        {
            _states[slot] = SlotEmpty;
            _lengths[slot] = 0;
            if (!valid[slot])
            {
                continue;
            }

            FlashSlotHeader header = headers[slot];
            Remember(slot, header.Key, header.RawLength, header.StoredLength, header.PayloadChecksum);
            maxGeneration = Math.Max(maxGeneration, header.Generation);
            var block = new RecoveredBlock(slot, header.Key, header.Parent, header.RawLength, header.Generation);
            if (!newest.TryGetValue(header.Key, out RecoveredBlock other))
            {
                newest.Add(header.Key, block);
            }
            else if (block.Generation > other.Generation)
            {
                newest[header.Key] = block;
                superseded.Add(other.Slot);
            }
            else
            {
                superseded.Add(slot);
            }
        }

        foreach (int slot in superseded)
        {
            InvalidateHeader(slot);
        }

        var blocks = new List<RecoveredBlock>(newest.Values);
        blocks.Sort(static (a, b) => a.Slot.CompareTo(b.Slot));
        _lastGeneration = Math.Max(_lastGeneration, (long)maxGeneration);
        _scanned = true;
        _recovered = blocks;
    }
}
