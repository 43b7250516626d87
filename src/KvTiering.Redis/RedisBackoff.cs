using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// Whether a call may go to the server: after a fault the tier is unavailable for a back-off that doubles per fault
/// in a row, up to a maximum, and a call that goes through resets it. Counts the faults and the calls it turned away.
/// Safe from any thread.
/// </summary>
internal sealed class RedisBackoff(IConnectionMultiplexer connection, TimeProvider time, TimeSpan initial, TimeSpan maximum)
{
    private long _backoffTicks = initial.Ticks;
    private long _retryAt = long.MinValue; // TimeProvider timestamp before which the tier is unavailable
    private string? _lastFault;
    private long _faults;
    private long _skipped;

    /// <summary>False while backing off after a fault.</summary>
    public bool IsAvailable => time.GetTimestamp() >= Volatile.Read(ref _retryAt);

    /// <summary>Faults that started a back-off.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Calls turned away while unavailable.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>The latest fault's message, or null.</summary>
    public string? LastFault => Volatile.Read(ref _lastFault);

    /// <summary>
    /// The failures a remote server causes: connection loss, timeouts, server errors (loading, out of memory), and a
    /// connection disposed under the device. Anything else is a bug and propagates.
    /// </summary>
    public static bool IsFault(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException;

    /// <summary>
    /// Whether a call may go to the server: false (counted, no network) while backing off, or when the connection
    /// knows it has no server (which starts a back-off without waiting for a command to fail).
    /// </summary>
    public bool TryEnter()
    {
        if (time.GetTimestamp() < Volatile.Read(ref _retryAt))
        {
            Interlocked.Increment(ref _skipped);
            return false;
        }

        if (!connection.IsConnected)
        {
            Interlocked.Increment(ref _skipped);
            OnFault(null);
            return false;
        }

        return true;
    }

    /// <summary>Starts a back-off, doubling the next one up to the maximum.</summary>
    public void OnFault(Exception? ex)
    {
        Interlocked.Increment(ref _faults);
        Volatile.Write(ref _lastFault, ex?.Message ?? "No connection to the server.");
        long backoff = Interlocked.Read(ref _backoffTicks);
        Interlocked.Exchange(ref _backoffTicks, Math.Min(backoff * 2, maximum.Ticks));
        long delay = (long)(backoff / (double)TimeSpan.TicksPerSecond * time.TimestampFrequency);
        Volatile.Write(ref _retryAt, time.GetTimestamp() + Math.Max(1, delay));
    }

    /// <summary>A call went through: the next fault backs off from the start again.</summary>
    public void OnSuccess()
    {
        if (Interlocked.Read(ref _backoffTicks) != initial.Ticks)
        {
            Interlocked.Exchange(ref _backoffTicks, initial.Ticks);
        }
    }
}
