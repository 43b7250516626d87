using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    private const byte Unchecked = 0;
    private const byte Intact = 1;
    private const byte PayloadLost = 2;
    private const byte Forged = 3;

    private int _corruptFilesRecreated;
    private long _lostWrites;
    private long _unverified;
    private long _authenticationFailures;
    private long _verifiedAtOpen;
    private long _verificationTicks;

    /// <summary>What the device found wrong since it was opened (see <see cref="FlashDeviceStatistics"/>).</summary>
    public FlashDeviceStatistics GetStatistics() => new(
        Volatile.Read(ref _corruptFilesRecreated),
        Interlocked.Read(ref _lostWrites),
        Interlocked.Read(ref _unverified),
        Interlocked.Read(ref _authenticationFailures),
        Interlocked.Read(ref _verifiedAtOpen),
        TimeSpan.FromTicks(Interlocked.Read(ref _verificationTicks)),
        Interlocked.Read(ref _verifiedAfterOpen),
        Interlocked.Read(ref _pendingVerification));

    /// <summary>
    /// Whether the seal in the header read with a payload covers this key, this length and these stored bytes; a
    /// failure is counted. The header on flash is the one checked, so a slot rewritten behind the device's back since
    /// it was written does not pass on the strength of the record in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsAuthentic(ReadOnlySpan<byte> io, int slot, in BlockKey key, int length, ReadOnlySpan<byte> stored)
    {
        if (FlashSlotHeader.TryRead(io, slot, SlotBytes, out FlashSlotHeader header)
            && header.IsSealed
            && header.Key.Equals(key)
            && header.RawLength == length
            && header.StoredLength == stored.Length
            && FlashSlotHeader.VerifySeal(io, stored, _authenticator!))
        {
            return true;
        }

        Interlocked.Increment(ref _authenticationFailures);
        return false;
    }

    /// <summary>Whether a header that verified may be trusted: on an authenticated tier, only with a seal of this key.</summary>
    private bool IsTrusted(ReadOnlySpan<byte> page, in FlashSlotHeader header) =>
        _authenticator is null || (header.IsSealed && FlashSlotHeader.VerifyHeaderSeal(page, _authenticator));

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
    private byte[] VerifyPayloads(List<RecoveredBlock> blocks, FlashSlotHeader[] headers)
    {
        var order = new int[blocks.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => blocks[b].Generation.CompareTo(blocks[a].Generation));
        var outcomes = new byte[blocks.Count];
        long budget = _verificationBudget < TimeSpan.Zero ? long.MaxValue : (long)(_verificationBudget.TotalSeconds * Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        int next = -1;
        Parallel.For(0, Math.Min(QueueDepth, Math.Max(1, order.Length)), new ParallelOptions { MaxDegreeOfParallelism = QueueDepth }, _ =>
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

        Interlocked.Add(ref _verificationTicks, Stopwatch.GetElapsedTime(start).Ticks);
        return outcomes;
    }

    private byte CheckPayload(byte* buffer, in FlashSlotHeader header)
    {
        var io = new Span<byte>(buffer, FlashGeometry.IoBytes(header.StoredLength));
        ReadOnlySpan<byte> stored = io.Slice(FlashGeometry.PayloadInSlot, header.StoredLength);
        if (ReadAt(io, _geometry.SlotOffset(header.Slot)) != io.Length
            || !FlashSlotHeader.TryRead(io, header.Slot, SlotBytes, out FlashSlotHeader again)
            || again.Generation != header.Generation
            || !again.Key.Equals(header.Key)
            || again.StoredLength != header.StoredLength
            || XxHash3.HashToUInt64(stored) != again.PayloadChecksum)
        {
            return PayloadLost;
        }

        return _authenticator is null || FlashSlotHeader.VerifySeal(io, stored, _authenticator) ? Intact : Forged;
    }
}
