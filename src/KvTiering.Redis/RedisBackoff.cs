using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// Whether a call may go to the server: after a fault the tier is unavailable for a back-off that doubles per fault
/// in a row, up to a maximum, and a call that goes through resets it. Once a back-off ends, until a call goes through,
/// one read at a time probes the server and the others are turned away at once (<see cref="TryEnter"/>). Counts the
/// faults and the calls it turned away. Safe from any thread.
/// </summary>
/// <remarks>
/// Why one probe: a server that stopped answering (hung, or overloaded past the timeout) costs each call that goes to it
/// a whole <c>OperationTimeout</c>. A store keeps the blocks of a tier it cannot reach (session 25), so when a back-off
/// ended every thread's next lookup of such a block went to the server, each waiting out the timeout
/// (<c>remote-unreachable</c> in docs/reliability.md); one probe answers for all of them.
/// </remarks>
internal sealed class RedisBackoff(IConnectionMultiplexer connection, TimeProvider time, TimeSpan initial, TimeSpan maximum,
    TimeSpan probeLease)
{
    private readonly long _probeLease = (long)(probeLease.Ticks / (double)TimeSpan.TicksPerSecond * time.TimestampFrequency);
    private long _backoffTicks = initial.Ticks;
    private long _retryAt = long.MinValue; // TimeProvider timestamp before which the tier is unavailable
    private int _recovering; // 1 from a fault until a call goes through
    private long _probeEnds = long.MinValue; // while a read probes after a back-off: when its lease ends
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
    /// knows it has no server (which starts a back-off without waiting for a command to fail). With
    /// <paramref name="probeAlone"/> (reads), also false while another read probes the server after a back-off and
    /// before any call went through; that probe's lease (two operation timeouts) bounds the wait for its answer. Writes
    /// go as before: one turned away would drop its demoted block.
    /// </summary>
    public bool TryEnter(bool probeAlone = false)
    {
        long now = time.GetTimestamp();
        if (now < Volatile.Read(ref _retryAt))
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

        if (probeAlone && Volatile.Read(ref _recovering) != 0 && !TryTakeProbe(now))
        {
            Interlocked.Increment(ref _skipped);
            return false;
        }

        return true;
    }

    private bool TryTakeProbe(long now)
    {
        long ends = Volatile.Read(ref _probeEnds);
        return now >= ends && Interlocked.CompareExchange(ref _probeEnds, now + _probeLease, ends) == ends;
    }

    /// <summary>
    /// Starts a back-off, doubling the next one up to the maximum; a fault while a back-off runs (a call that was in
    /// flight with the one whose fault started it) joins that back-off: counted in neither <see cref="Faults"/> nor the
    /// doubling.
    /// </summary>
    /// <remarks>
    /// Why: the calls in flight when a server turns slow fail within a moment of each other, up to a write window's 32
    /// writes. Each started a back-off of its own before polish30, so one burst counted 32 faults and doubled the
    /// back-off 32 times, to the maximum (30 s by default): the remote drill's part 5 counted 3–4 faults in some runs and
    /// 32–35 in others. "Doubles per fault in a row" means per back-off whose probe failed too.
    /// </remarks>
    public void OnFault(Exception? ex)
    {
        Volatile.Write(ref _lastFault, ex?.Message ?? "No connection to the server.");
        long now = time.GetTimestamp();
        long retryAt = Volatile.Read(ref _retryAt);
        if (now < retryAt)
        {
            return; // the back-off this call's outage started already runs
        }

        long backoff = Interlocked.Read(ref _backoffTicks);
        long delay = (long)(backoff / (double)TimeSpan.TicksPerSecond * time.TimestampFrequency);
        if (Interlocked.CompareExchange(ref _retryAt, now + Math.Max(1, delay), retryAt) != retryAt)
        {
            return; // another call's fault, at the same moment, started it
        }

        Interlocked.Increment(ref _faults);
        Interlocked.Exchange(ref _backoffTicks, Math.Min(backoff * 2, maximum.Ticks));
        Volatile.Write(ref _probeEnds, long.MinValue); // after this back-off, the next read probes
        Volatile.Write(ref _recovering, 1);
    }

    /// <summary>Starts ending the back-off when the connection reports the server back (<see cref="OnRestored"/>).</summary>
    public void Watch() => connection.ConnectionRestored += OnConnectionRestored;

    /// <summary>Stops <see cref="Watch"/>'s listening (the device closes; the connection may live on).</summary>
    public void Unwatch() => connection.ConnectionRestored -= OnConnectionRestored;

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive) // the one commands go on; a pub/sub one may come back first
        {
            OnRestored();
        }
    }

    /// <summary>
    /// The connection reports the server back (StackExchange.Redis reconnected and handshook): the back-off ends now
    /// instead of at its end, up to <c>MaxBackoff</c> later, so writes land again as soon as a server's operator (and the
    /// agent server's log) sees it back. Until a call goes through, reads still probe one at a time.
    /// </summary>
    public void OnRestored()
    {
        if (Volatile.Read(ref _recovering) != 0)
        {
            Volatile.Write(ref _probeEnds, long.MinValue);
            Volatile.Write(ref _retryAt, long.MinValue);
        }
    }

    /// <summary>A call went through: the next fault backs off from the start again.</summary>
    public void OnSuccess()
    {
        if (Volatile.Read(ref _recovering) != 0)
        {
            Volatile.Write(ref _recovering, 0);
        }

        if (Interlocked.Read(ref _backoffTicks) != initial.Ticks)
        {
            Interlocked.Exchange(ref _backoffTicks, initial.Ticks);
        }
    }
}
