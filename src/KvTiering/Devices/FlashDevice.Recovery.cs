using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    // Slots whose headers one recovery worker reads in a row before taking the next run.
    private const int SlotsPerRun = 256;

    /// <inheritdoc />
    /// <remarks>
    /// Reads every slot's first page, up to the queue depth at once, keeping each slot whose header verifies (and, on
    /// an authenticated tier, whose header seal verifies); of several slots holding one key, the highest generation
    /// wins and the others are invalidated, so an older copy cannot resurface once the newest is freed. Then the
    /// payloads of the blocks kept are read and verified, newest first, within
    /// <see cref="FlashDeviceOptions.RecoveryVerificationBudget"/>: only blocks that passed are returned, so an index
    /// built from them never reports a block a read would reject. The blocks the budget left unchecked are verified
    /// afterwards in the background when a store asks (<see cref="IDeferredRecovery"/>), each indexed as it passes. Write generations continue from the highest one
    /// found.
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

    /// <summary>
    /// Rebuilds every slot's state from the slots' headers, verifies the payloads of the blocks found within the
    /// budget, and caches the blocks that passed.
    /// </summary>
    private void Scan()
    {
        var headers = new FlashSlotHeader[SlotCount];
        var found = new byte[SlotCount]; // 0 nothing, 1 a header this tier trusts, 2 a checksummed header it does not
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
                    if (FlashSlotHeader.TryRead(page[..read], slot, SlotBytes, out headers[slot]))
                    {
                        found[slot] = IsTrusted(page, headers[slot]) ? (byte)1 : (byte)2;
                    }
                }
            }
            finally
            {
                _pool.Return(buffer);
            }
        });

        var newest = new Dictionary<BlockKey, RecoveredBlock>();
        var dropped = new List<int>();
        ulong maxGeneration = 0;
        for (int slot = 0; slot < SlotCount; slot++)
        {
            _states[slot] = SlotEmpty;
            _lengths[slot] = 0;
            if (found[slot] == 0)
            {
                continue;
            }

            FlashSlotHeader header = headers[slot];
            maxGeneration = Math.Max(maxGeneration, header.Generation);
            if (found[slot] == 2)
            {
                // A forged header, one without a seal, or one sealed with another key: never served, and freed.
                _authenticationFailures++;
                dropped.Add(slot);
                continue;
            }

            var block = new RecoveredBlock(slot, header.Key, header.Parent, header.RawLength, header.Generation);
            if (!newest.TryGetValue(header.Key, out RecoveredBlock other))
            {
                newest.Add(header.Key, block);
            }
            else if (block.Generation > other.Generation)
            {
                newest[header.Key] = block;
                dropped.Add(other.Slot);
            }
            else
            {
                dropped.Add(slot);
            }
        }

        var candidates = new List<RecoveredBlock>(newest.Values);
        candidates.Sort(static (a, b) => a.Slot.CompareTo(b.Slot));
        byte[] outcomes = VerifyPayloads(candidates, headers);
        var blocks = new List<RecoveredBlock>(candidates.Count);
        var deferred = new List<(RecoveredBlock Block, FlashSlotHeader Header)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            RecoveredBlock block = candidates[i];
            switch (outcomes[i])
            {
                case Intact:
                    FlashSlotHeader header = headers[block.Slot];
                    Remember(block.Slot, header.Key, header.RawLength, header.StoredLength, header.PayloadChecksum);
                    blocks.Add(block);
                    break;
                case Unchecked:
                    // Not indexed yet: verified in the background once a store has kept its slot out of use
                    // (IDeferredRecovery), or left on flash for a later open when no one asks.
                    _states[block.Slot] = SlotStale;
                    _unverified++;
                    deferred.Add((block, headers[block.Slot]));
                    break;
                case Forged:
                    _authenticationFailures++;
                    dropped.Add(block.Slot);
                    break;
                default:
                    _lostWrites++;
                    dropped.Add(block.Slot);
                    break;
            }
        }

        foreach (int slot in dropped)
        {
            InvalidateHeader(slot);
        }

        _verifiedAtOpen += blocks.Count;
        if (_lostWrites + _unverified + _authenticationFailures > 0)
        {
            FlashDeviceLog.BlocksNotRecovered(_logger, FilePath, _lostWrites, _authenticationFailures, _unverified, blocks.Count);
        }

        _encoder.AtLeast(maxGeneration);
        Defer(deferred);
        _scanned = true;
        _recovered = blocks;
    }
}
