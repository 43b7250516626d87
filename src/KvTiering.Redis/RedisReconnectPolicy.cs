using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// When StackExchange.Redis tries again to connect to a server it lost (or never reached): on the first heartbeat at
/// which about <see cref="RedisTierOptions.Backoff"/> has passed since the last try, every time, so a server that is
/// back is connected to, and the tier's back-off ended (<c>ConnectionRestored</c>), within a back-off and a heartbeat.
/// </summary>
/// <remarks>
/// <para>The client asks on each heartbeat (one a second) with the milliseconds since the last try started, which
/// began inside an earlier heartbeat, so one interval of 1,000 ms can read as a little less. The
/// <see cref="ExponentialRetry"/> the tier used before (<c>Backoff</c>, <c>MaxBackoff</c>) wants at least its 1,000 ms
/// (then a random 1 to 1.1ⁿ s): it skipped every other heartbeat and tried every 2 s, later further apart, so the agent server logged a
/// restarted Garnet "is back" anywhere from 0 to 2 s after it answered (restore28, docs/history/reliability.md). Here a try is
/// due a quarter of a heartbeat early.</para>
/// <para>It does not grow: a try at a server that is down costs one refused TCP connect (or, unreachable, a socket for
/// <see cref="RedisTierOptions.ConnectTimeout"/>), and the tier's own back-off, which does grow, keeps commands away
/// meanwhile.</para>
/// </remarks>
internal sealed class RedisReconnectPolicy(TimeSpan interval) : IReconnectRetryPolicy
{
    /// <summary>How early a try is due: a heartbeat's timer jitter and clock granularity, with room to spare.</summary>
    internal static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(250);

    private readonly long _dueMilliseconds = (long)Math.Max(0, (interval - Tolerance).TotalMilliseconds);

    /// <inheritdoc/>
    public bool ShouldRetry(long currentRetryCount, int timeElapsedMillisecondsSinceLastRetry) =>
        timeElapsedMillisecondsSinceLastRetry >= _dueMilliseconds;
}
