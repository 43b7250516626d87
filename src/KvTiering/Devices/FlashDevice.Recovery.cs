using System.Buffers;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

public sealed partial class FlashDevice
{
    // 8,192 headers (1 MiB) per read: the table streams through a small pooled buffer.
    private const int HeadersPerChunk = 8192;

    /// <inheritdoc />
    /// <remarks>
    /// Scans the header table once, sequentially, keeping each slot whose header verifies; of several slots holding
    /// one key, the highest generation wins and the others are invalidated, so an older copy cannot resurface once
    /// the newest is freed. Payload checksums are verified on each later read, not here. Write generations continue
    /// from the highest one found.
    /// </remarks>
    public IReadOnlyList<RecoveredBlock> Recover()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        if (_recovered is null)
        {
            Scan();
        }

        return _recovered!.ToArray();
    }

    /// <summary>Rebuilds every slot's state from the header table and caches the blocks found.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Scan()
    {
        var newest = new Dictionary<BlockKey, RecoveredBlock>();
        var superseded = new List<int>();
        ulong maxGeneration = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(HeadersPerChunk * FlashSlotHeader.Size);
        try
        {
            for (int first = 0; first < SlotCount; first += HeadersPerChunk)
            {
                int count = Math.Min(HeadersPerChunk, SlotCount - first);
                Span<byte> chunk = buffer.AsSpan(0, count * FlashSlotHeader.Size);
                int read = ReadAt(chunk, FlashGeometry.HeaderOffset(first));
                chunk[read..].Clear();
                for (int i = 0; i < count; i++)
                {
                    int slot = first + i;
                    _states[slot] = SlotEmpty;
                    _lengths[slot] = 0;
                    if (!FlashSlotHeader.TryRead(chunk.Slice(i * FlashSlotHeader.Size), slot, SlotBytes, out FlashSlotHeader header))
                    {
                        continue;
                    }

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
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        foreach (int slot in superseded)
        {
            InvalidateHeader(slot);
        }

        var blocks = new List<RecoveredBlock>(newest.Values);
        blocks.Sort(static (a, b) => a.Slot.CompareTo(b.Slot));
        _nextGeneration = Math.Max(_nextGeneration, maxGeneration + 1);
        _scanned = true;
        _recovered = blocks;
    }
}
