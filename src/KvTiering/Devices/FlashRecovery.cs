using System.Diagnostics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>
/// Rebuilds the flash device's slot table from the file at open: reads the slots' headers (all but those in the file's
/// holes, <see cref="FlashHeaderScan"/>), keeps the newest generation of each key, verifies the kept blocks' payloads
/// newest first within the open's time budget, frees the slots of the blocks it drops (<see cref="FlashSlotRelease"/>)
/// and remembers the keys of those that failed (<see cref="Damaged"/>), and hands the blocks the budget left unchecked
/// to <see cref="FlashDeferredVerification"/>. Caches the blocks it recovered for <see cref="Recover"/>.
/// </summary>
/// <remarks>
/// The scan runs once, on the first call that needs the slots' states (a lazily opened tier costs nothing until
/// used), and again on <see cref="Recover"/> after a write or free changed the slots.
/// </remarks>
internal sealed unsafe class FlashRecovery
{
    private readonly FlashGeometry _geometry;
    private readonly FlashFile _file;
    private readonly FlashHeaderScan _headers;
    private readonly FlashSlotTable _slots;
    private readonly AlignedBufferPool _pool;
    private readonly FlashBlockVerifier _verifier;
    private readonly FlashBlockEncoder _encoder;
    private readonly FlashCounters _counters;
    private readonly FlashDeferredVerification _deferred;
    private readonly FlashSlotRelease _release;
    private readonly ILogger _logger;
    private readonly TimeSpan _budget;
    private readonly int _queueDepth;
    private readonly Lock _scanLock = new();
    private volatile bool _scanned;
    private List<RecoveredBlock>? _recovered;
    private BlockKey[] _damaged = [];

    public FlashRecovery(FlashGeometry geometry, FlashFile file, FlashHeaderScan headers, FlashSlotTable slots,
        AlignedBufferPool pool, FlashBlockVerifier verifier, FlashBlockEncoder encoder, FlashCounters counters,
        FlashDeferredVerification deferred, FlashSlotRelease release, ILogger logger, TimeSpan budget, int queueDepth)
    {
        _geometry = geometry;
        _file = file;
        _headers = headers;
        _slots = slots;
        _pool = pool;
        _verifier = verifier;
        _encoder = encoder;
        _counters = counters;
        _deferred = deferred;
        _release = release;
        _logger = logger;
        _budget = budget;
        _queueDepth = queueDepth;

        // A file the open created holds no block: nothing to scan.
        _scanned = file.Created;
        if (file.Created)
        {
            _recovered = [];
        }
    }

    /// <summary>Whether the slots' states are known (the hot paths' check before <see cref="ScanOnce"/>).</summary>
    public bool IsScanned => _scanned;

    /// <summary>The blocks recovered and verified, scanning again when a write or free changed the slots since.</summary>
    public IReadOnlyList<RecoveredBlock> Recover()
    {
        lock (_scanLock)
        {
            if (_recovered is null)
            {
                Scan();
            }

            return _recovered!.ToArray();
        }
    }

    /// <summary>The keys the last scan dropped as damaged (<see cref="IDroppedAtRecovery"/>), newest first.</summary>
    public IReadOnlyList<BlockKey> Damaged => _damaged;

    /// <summary>A write or free changed the slots: the next <see cref="Recover"/> scans again.</summary>
    public void SlotsChanged() => _recovered = null;

    /// <summary>Scans once, the first time any call needs the slots' states; concurrent first callers wait for it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void ScanOnce()
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
        int slotCount = _geometry.SlotCount;
        var headers = new FlashSlotHeader[slotCount];
        byte[] found = _headers.Read(headers, out int headersRead);
        _counters.HeadersRead(headersRead);
        var newest = new Dictionary<BlockKey, RecoveredBlock>();
        var dropped = new List<int>();
        ulong maxGeneration = 0;
        for (int slot = 0; slot < slotCount; slot++)
        {
            _slots.Reset(slot);
            if (found[slot] == 0)
            {
                continue;
            }

            FlashSlotHeader header = headers[slot];
            maxGeneration = Math.Max(maxGeneration, header.Generation);
            if (found[slot] == 2)
            {
                // A forged header, one without a seal, or one sealed with another key: never served, and freed.
                _counters.AuthenticationFailure();
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
        FlashPayloadCheck[] outcomes = VerifyPayloads(candidates, headers);
        var blocks = new List<RecoveredBlock>(candidates.Count);
        var deferred = new List<(RecoveredBlock Block, FlashSlotHeader Header)>();
        var damaged = new List<RecoveredBlock>();
        for (int i = 0; i < candidates.Count; i++)
        {
            RecoveredBlock block = candidates[i];
            switch (outcomes[i])
            {
                case FlashPayloadCheck.Intact:
                    FlashSlotHeader header = headers[block.Slot];
                    _slots.Remember(block.Slot, header.Key, header.RawLength, header.StoredLength, header.PayloadChecksum);
                    blocks.Add(block);
                    break;
                case FlashPayloadCheck.Unchecked:
                    // Not indexed yet: verified in the background once a store has kept its slot out of use
                    // (IDeferredRecovery), or left on flash for a later open when no one asks.
                    _slots.MarkStale(block.Slot);
                    _counters.LeftUnverified();
                    deferred.Add((block, headers[block.Slot]));
                    break;
                case FlashPayloadCheck.Forged:
                    _counters.AuthenticationFailure();
                    dropped.Add(block.Slot);
                    damaged.Add(block);
                    break;
                default:
                    _counters.LostWrite();
                    dropped.Add(block.Slot);
                    damaged.Add(block);
                    break;
            }
        }

        damaged.Sort(static (a, b) => b.Generation.CompareTo(a.Generation));
        _damaged = damaged.ConvertAll(static b => b.Key).ToArray();

        foreach (int slot in dropped)
        {
            _slots.Invalidated(slot, _release.Release(slot, FlashGeometry.IoBytes(headers[slot].StoredLength)));
        }

        _counters.VerifiedAtOpen(blocks.Count);
        long lost = _counters.LostWrites, forged = _counters.AuthenticationFailures, unverified = _counters.Unverified;
        if (lost + unverified + forged > 0)
        {
            FlashDeviceLog.BlocksNotRecovered(_logger, _file.Path, lost, forged, unverified, blocks.Count);
        }

        _encoder.AtLeast(maxGeneration);
        _deferred.Defer(deferred);
        _scanned = true;
        _recovered = blocks;
    }

    /// <summary>
    /// Reads and checks the payloads of <paramref name="blocks"/>, newest first, up to the queue depth at once, until
    /// all are checked or the verification budget is spent; returns each block's outcome, in the order given.
    /// </summary>
    /// <remarks>
    /// Headers and payloads land in one I/O, but a lost write (a device that acknowledged and dropped it, a file
    /// restored from a snapshot taken mid-write) can leave a valid header over a payload that is not its own. The
    /// index must not count such a block: a prefix match would plan to load it and every read would reject it.
    /// Newest first, because the most recently written blocks are the likeliest to be asked for again.
    /// </remarks>
    private FlashPayloadCheck[] VerifyPayloads(List<RecoveredBlock> blocks, FlashSlotHeader[] headers)
    {
        var order = new int[blocks.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => blocks[b].Generation.CompareTo(blocks[a].Generation));
        var outcomes = new FlashPayloadCheck[blocks.Count];
        long budget = _budget < TimeSpan.Zero ? long.MaxValue : (long)(_budget.TotalSeconds * Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        int next = -1;
        Parallel.For(0, Math.Min(_queueDepth, Math.Max(1, order.Length)), new ParallelOptions { MaxDegreeOfParallelism = _queueDepth }, _ =>
        {
            byte* buffer = _pool.Rent();
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < order.Length && Stopwatch.GetTimestamp() - start <= budget)
                {
                    int b = order[i];
                    outcomes[b] = CheckPayload(buffer, headers[blocks[b].Slot]);
                }
            }
            finally
            {
                _pool.Return(buffer);
            }
        });

        _counters.VerificationTime(Stopwatch.GetElapsedTime(start));
        return outcomes;
    }

    /// <summary>Reads a recovered block whole into <paramref name="buffer"/> and checks it against its header.</summary>
    private FlashPayloadCheck CheckPayload(byte* buffer, in FlashSlotHeader header)
    {
        var io = new Span<byte>(buffer, FlashGeometry.IoBytes(header.StoredLength));
        return _verifier.CheckPayload(io, _file.ReadSlot(io, header.Slot), header);
    }
}
