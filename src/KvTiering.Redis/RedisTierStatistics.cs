namespace KvTiering.Redis;

/// <summary>Counters of one <see cref="RedisBlockDevice"/>, beside the store's own per-tier statistics.</summary>
/// <remarks>
/// The store counts every read of this tier that misses as a checksum failure, whatever the cause; these counters
/// tell the causes apart (<see cref="Vanished"/>, <see cref="ChecksumFailures"/>, <see cref="SkippedWhileUnavailable"/>).
/// </remarks>
public sealed record RedisTierStatistics
{
    /// <summary>Whether the tier was available (not backing off) when the snapshot was taken.</summary>
    public bool IsAvailable { get; init; }

    /// <summary>Blocks written to the server.</summary>
    public long Writes { get; init; }

    /// <summary>Blocks the store demoted into the tier that were not written: unavailable, timed out or refused.</summary>
    public long DroppedWrites { get; init; }

    /// <summary>Slot reads that returned verified bytes.</summary>
    public long Hits { get; init; }

    /// <summary>Slot reads that found nothing on the server: it expired, was evicted or lost in a restart.</summary>
    public long Vanished { get; init; }

    /// <summary>Values that failed verification (header, key, length or payload checksum); each is deleted.</summary>
    public long ChecksumFailures { get; init; }

    /// <summary>
    /// Values whose checksums held but whose MAC did not (forged, or written with another secret or none); each is
    /// deleted. Only on an authenticated device.
    /// </summary>
    public long AuthenticationFailures { get; init; }

    /// <summary>Lookups of blocks other stores may have put (<see cref="RedisBlockDevice.TryFetch"/>).</summary>
    public long Fetches { get; init; }

    /// <summary>Of <see cref="Fetches"/>, those that returned verified bytes.</summary>
    public long FetchHits { get; init; }

    /// <summary>Pipelined prefix matches answered.</summary>
    public long PrefixQueries { get; init; }

    /// <summary>Queries of which keys of a set the server holds (<see cref="RedisBlockDevice.Holds"/>) sent, one round trip each (none while backed off).</summary>
    public long HoldsQueries { get; init; }

    /// <summary>
    /// Faults that started a back-off: connection loss, timeouts, server errors. A call that fails while a back-off runs
    /// (one in flight with the call whose fault started it) joins that back-off and is not counted here.
    /// </summary>
    public long Faults { get; init; }

    /// <summary>Calls answered at once, without the network, because the tier was backing off.</summary>
    public long SkippedWhileUnavailable { get; init; }

    /// <summary>The message of the latest fault, or null if none occurred.</summary>
    public string? LastFault { get; init; }
}
