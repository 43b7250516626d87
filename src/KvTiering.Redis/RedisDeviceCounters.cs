namespace KvTiering.Redis;

/// <summary>
/// What a <see cref="RedisBlockDevice"/> counts, incremented with <see cref="Interlocked"/> from any thread, and the
/// snapshots it reports from them.
/// </summary>
internal sealed class RedisDeviceCounters
{
    /// <summary>Blocks written.</summary>
    public long Writes;

    /// <summary>Demotions not written: unavailable, timed out or refused.</summary>
    public long DroppedWrites;

    /// <summary>Slot reads that returned verified bytes.</summary>
    public long Hits;

    /// <summary>Blocks the server no longer had (expired, evicted, lost in a restart).</summary>
    public long Vanished;

    /// <summary>Values that failed their checksum (deleted).</summary>
    public long ChecksumFailures;

    /// <summary>Values whose MAC failed (deleted).</summary>
    public long AuthenticationFailures;

    /// <summary>Fetches of blocks other stores put.</summary>
    public long Fetches;

    /// <summary>Fetches that found verified bytes.</summary>
    public long FetchHits;

    /// <summary>Prefix-match queries.</summary>
    public long PrefixQueries;

    /// <summary>Queries of which keys of a set the server holds (<see cref="RedisBlockDevice.Holds"/>), answered.</summary>
    public long HoldsQueries;

    /// <summary>A snapshot of the counters and of <paramref name="backoff"/>'s state.</summary>
    public RedisTierStatistics Snapshot(RedisBackoff backoff) => new()
    {
        IsAvailable = backoff.IsAvailable,
        Writes = Interlocked.Read(ref Writes),
        DroppedWrites = Interlocked.Read(ref DroppedWrites),
        Hits = Interlocked.Read(ref Hits),
        Vanished = Interlocked.Read(ref Vanished),
        ChecksumFailures = Interlocked.Read(ref ChecksumFailures),
        AuthenticationFailures = Interlocked.Read(ref AuthenticationFailures),
        Fetches = Interlocked.Read(ref Fetches),
        FetchHits = Interlocked.Read(ref FetchHits),
        PrefixQueries = Interlocked.Read(ref PrefixQueries),
        HoldsQueries = Interlocked.Read(ref HoldsQueries),
        Faults = backoff.Faults,
        SkippedWhileUnavailable = backoff.Skipped,
        LastFault = backoff.LastFault,
    };

    /// <summary>The faults by kind, as <see cref="Devices.IFaultCountingDevice.GetFaultCounts"/> reports them.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> FaultCounts(RedisBackoff backoff) =>
    [
        new("vanished", Interlocked.Read(ref Vanished)),
        new("checksum", Interlocked.Read(ref ChecksumFailures)),
        new("authentication", Interlocked.Read(ref AuthenticationFailures)),
        new("connection", backoff.Faults),
        new("dropped_write", Interlocked.Read(ref DroppedWrites)),
    ];
}
