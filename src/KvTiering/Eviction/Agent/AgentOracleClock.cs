namespace KvTiering.Eviction;

/// <summary>
/// The replayed trace's request times, so the oracle diagnostic can turn a true next use (a request index) into a wait
/// in seconds, the scale the policy's own estimates rank by (a noisy or partial oracle,
/// docs/policies/agent-research-log.md, "Session 23, noise24"). Replay only: the harness names the times for the
/// store it builds on its thread (<see cref="During"/>), and the policy takes them when it attaches
/// (<see cref="Current"/>); a policy built anywhere else has none.
/// </summary>
internal sealed class AgentOracleClock
{
    /// <summary>Seconds added per request index, so that equal arrival times still order as their indices do.</summary>
    private const double Tiebreak = 1e-6;

    [ThreadStatic]
    private static double[]? t_times;

    private readonly double[] _times;
    private double[]? _strict;

    private AgentOracleClock(double[] times) => _times = times;

    /// <summary>The clock of the trace being built on this thread, or null outside <see cref="During"/>.</summary>
    public static AgentOracleClock? Current => t_times is { } times ? new AgentOracleClock(times) : null;

    /// <summary>
    /// Policies attached on this thread until the scope ends read <paramref name="times"/> (each request's arrival, in
    /// seconds, by request index, non-decreasing).
    /// </summary>
    public static Scope During(double[] times)
    {
        double[]? outer = t_times;
        t_times = times;
        return new Scope(outer);
    }

    /// <summary>
    /// Seconds from <paramref name="now"/> to request <paramref name="next"/>, a strictly increasing function of the
    /// index (arrival time plus a microsecond per index), so a ranking by it is the ranking by index; a request that
    /// never comes is <see cref="long.MaxValue"/>, as the index ranking has it.
    /// </summary>
    public double SecondsUntil(double next, double now)
    {
        if (next >= _times.Length)
        {
            return long.MaxValue;
        }

        double[] strict = _strict ??= Strict(_times);
        return strict[(long)next] - now;
    }

    private static double[] Strict(double[] times)
    {
        var strict = new double[times.Length];
        for (int r = 0; r < times.Length; r++)
        {
            strict[r] = times[r] + (r * Tiebreak);
        }

        return strict;
    }

    /// <summary>Ends a <see cref="During"/> scope: the thread's previous times, if any, apply again.</summary>
    public readonly struct Scope(double[]? outer) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => t_times = outer;
    }
}
