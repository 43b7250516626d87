namespace KvTiering.Devices;

/// <summary>
/// What the flash device found wrong since it was opened and what its verification did, counted from the open's scan,
/// the background verification and the read path at once; <see cref="ToStatistics"/> is the public snapshot.
/// </summary>
internal sealed class FlashCounters
{
    private long _lostWrites;
    private long _unverified;
    private long _authenticationFailures;
    private long _verifiedAtOpen;
    private long _verificationTicks;
    private long _verifiedAfterOpen;
    private long _pendingVerification;
    private long _headersRead;
    private long _rangesZeroed;
    private long _headersZeroed;

    public long LostWrites => Interlocked.Read(ref _lostWrites);

    public long Unverified => Interlocked.Read(ref _unverified);

    public long AuthenticationFailures => Interlocked.Read(ref _authenticationFailures);

    /// <summary>Deferred blocks the background verification has not reached yet.</summary>
    public long PendingVerification => Volatile.Read(ref _pendingVerification);

    public void LostWrite() => Interlocked.Increment(ref _lostWrites);

    public void LeftUnverified() => Interlocked.Increment(ref _unverified);

    public void AuthenticationFailure() => Interlocked.Increment(ref _authenticationFailures);

    public void VerifiedAtOpen(int blocks) => Interlocked.Add(ref _verifiedAtOpen, blocks);

    public void VerificationTime(TimeSpan elapsed) => Interlocked.Add(ref _verificationTicks, elapsed.Ticks);

    public void VerifiedAfterOpen() => Interlocked.Increment(ref _verifiedAfterOpen);

    /// <summary>A slot freed by zeroing its range (a hole the next open's scan skips).</summary>
    public void RangeZeroed() => Interlocked.Increment(ref _rangesZeroed);

    /// <summary>A slot freed by writing zeros over its header (the file system cannot zero a range).</summary>
    public void HeaderZeroed() => Interlocked.Increment(ref _headersZeroed);

    /// <summary>Sets the number of slots whose first page the last scan read (the others lay in holes).</summary>
    public void HeadersRead(int slots) => Volatile.Write(ref _headersRead, slots);

    /// <summary>Sets the deferred blocks still to verify (after a scan).</summary>
    public void Pending(int blocks) => Volatile.Write(ref _pendingVerification, blocks);

    /// <summary>One deferred block was settled.</summary>
    public void Settled() => Interlocked.Decrement(ref _pendingVerification);

    /// <summary>A snapshot's faults by the names <see cref="IFaultCountingDevice"/> reports them under.</summary>
    public static IReadOnlyList<KeyValuePair<string, long>> FaultCounts(FlashDeviceStatistics stats) =>
    [
        new("corrupt_file", stats.CorruptFilesRecreated),
        new("truncated_file", stats.TruncatedFiles),
        new("lost_write", stats.LostWrites),
        new("unverified", stats.Unverified),
        new("authentication", stats.AuthenticationFailures),
    ];

    /// <summary>The public snapshot; <paramref name="corruptFilesRecreated"/> and <paramref name="truncatedFiles"/> come from the open.</summary>
    public FlashDeviceStatistics ToStatistics(int corruptFilesRecreated, int truncatedFiles) => new(
        corruptFilesRecreated,
        Interlocked.Read(ref _lostWrites),
        Interlocked.Read(ref _unverified),
        Interlocked.Read(ref _authenticationFailures),
        Interlocked.Read(ref _verifiedAtOpen),
        TimeSpan.FromTicks(Interlocked.Read(ref _verificationTicks)),
        Interlocked.Read(ref _verifiedAfterOpen),
        Interlocked.Read(ref _pendingVerification))
    {
        TruncatedFiles = truncatedFiles,
        HeadersRead = Volatile.Read(ref _headersRead),
        RangesZeroed = Interlocked.Read(ref _rangesZeroed),
        HeadersZeroed = Interlocked.Read(ref _headersZeroed),
    };
}
