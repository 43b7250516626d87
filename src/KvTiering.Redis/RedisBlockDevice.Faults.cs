using StackExchange.Redis;

namespace KvTiering.Redis;

public sealed partial class RedisBlockDevice
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private long _backoffTicks;
    private long _retryAt = long.MinValue; // TimeProvider timestamp before which the tier is unavailable
    private string? _lastFault;
    private long _writes;
    private long _droppedWrites;
    private long _hits;
    private long _vanished;
    private long _checksumFailures;
    private long _authenticationFailures;
    private long _fetches;
    private long _fetchHits;
    private long _prefixQueries;
    private long _faults;
    private long _skipped;

    /// <summary>False while the tier backs off after a fault; calls then miss or drop at once.</summary>
    public bool IsAvailable => _time.GetTimestamp() >= Volatile.Read(ref _retryAt);

    /// <summary>A snapshot of the device's counters.</summary>
    public RedisTierStatistics GetStatistics() => new()
    {
        IsAvailable = IsAvailable,
        Writes = Interlocked.Read(ref _writes),
        DroppedWrites = Interlocked.Read(ref _droppedWrites),
        Hits = Interlocked.Read(ref _hits),
        Vanished = Interlocked.Read(ref _vanished),
        ChecksumFailures = Interlocked.Read(ref _checksumFailures),
        AuthenticationFailures = Interlocked.Read(ref _authenticationFailures),
        Fetches = Interlocked.Read(ref _fetches),
        FetchHits = Interlocked.Read(ref _fetchHits),
        PrefixQueries = Interlocked.Read(ref _prefixQueries),
        Faults = Interlocked.Read(ref _faults),
        SkippedWhileUnavailable = Interlocked.Read(ref _skipped),
        LastFault = Volatile.Read(ref _lastFault),
    };

    /// <inheritdoc />
    /// <remarks>
    /// <c>vanished</c> (the server no longer had a block: expired, evicted or lost in a restart), <c>checksum</c> (a
    /// value that failed verification, deleted), <c>authentication</c> (a value whose MAC failed, deleted),
    /// <c>connection</c> (a connection loss, timeout or server error that started a back-off) and <c>dropped_write</c>
    /// (a demotion not written: unavailable, timed out or refused).
    /// </remarks>
    public IReadOnlyList<KeyValuePair<string, long>> GetFaultCounts() =>
    [
        new("vanished", Interlocked.Read(ref _vanished)),
        new("checksum", Interlocked.Read(ref _checksumFailures)),
        new("authentication", Interlocked.Read(ref _authenticationFailures)),
        new("connection", Interlocked.Read(ref _faults)),
        new("dropped_write", Interlocked.Read(ref _droppedWrites)),
    ];

    /// <summary>
    /// Whether a call may go to the server: false (counted, no network) while backing off, or when the connection
    /// knows it has no server (which starts a back-off without waiting for a command to fail).
    /// </summary>
    private bool TryEnter()
    {
        if (_time.GetTimestamp() < Volatile.Read(ref _retryAt))
        {
            Interlocked.Increment(ref _skipped);
            return false;
        }

        if (!_connection.IsConnected)
        {
            Interlocked.Increment(ref _skipped);
            OnFault(null);
            return false;
        }

        return true;
    }

    /// <summary>Starts a back-off, doubling the next one up to the maximum.</summary>
    private void OnFault(Exception? ex)
    {
        Interlocked.Increment(ref _faults);
        Volatile.Write(ref _lastFault, ex?.Message ?? "No connection to the server.");
        long backoff = Interlocked.Read(ref _backoffTicks);
        Interlocked.Exchange(ref _backoffTicks, Math.Min(backoff * 2, _maxBackoff.Ticks));
        long delay = (long)(backoff / (double)TimeSpan.TicksPerSecond * _time.TimestampFrequency);
        Volatile.Write(ref _retryAt, _time.GetTimestamp() + Math.Max(1, delay));
    }

    /// <summary>A call went through: the next fault backs off from the start again.</summary>
    private void OnSuccess()
    {
        if (Interlocked.Read(ref _backoffTicks) != _initialBackoff.Ticks)
        {
            Interlocked.Exchange(ref _backoffTicks, _initialBackoff.Ticks);
        }
    }

    /// <summary>
    /// The failures a remote server causes: connection loss, timeouts, server errors (loading, out of memory), and a
    /// connection disposed under the device. Anything else is a bug and propagates.
    /// </summary>
    private static bool IsFault(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException;
}
