namespace KvTiering.Eviction;

/// <summary>
/// Learns how long tool calls take and picks the time-to-live that maximizes the expected saving of a pin, as
/// Continuum does: a pin of length τ pays off when the tool returns within τ (probability F(τ), saving one reload,
/// worth <see cref="ReloadSeconds"/> of holding the blocks) and costs the memory held meanwhile, E[min(T, τ)].
/// </summary>
/// <remarks>
/// Li et al., "Continuum: Efficient and Robust Multi-Turn LLM Agent Scheduling with KV Cache Time-to-Live",
/// arXiv 2511.02230: τ* = argmax F(τ)·benefit − cost·E[min(T, τ)] over the empirical tool-duration distribution. The
/// durations are the most recent <c>window</c> observations (a ring); τ* is recomputed every 16 observations over the
/// sorted sample, so the steady state sorts a fixed array and allocates nothing.
/// </remarks>
internal sealed class TtlChooser
{
    private const int RecomputeEvery = 16;
    private const int MinSamples = 8;
    private readonly double[] _ring;
    private readonly double[] _sorted;
    private int _count;
    private int _next;
    private int _sinceRecompute;

    public TtlChooser(double reloadSeconds, double coldStartTtl, int window = 512)
    {
        ReloadSeconds = reloadSeconds;
        Ttl = coldStartTtl;
        _ring = new double[window];
        _sorted = new double[window];
    }

    /// <summary>What one avoided reload is worth, in seconds of holding the session's blocks.</summary>
    public double ReloadSeconds { get; }

    /// <summary>The time-to-live a new tool-call pin gets now.</summary>
    public double Ttl { get; private set; }

    /// <summary>A tool call took <paramref name="seconds"/> (response end to the next request).</summary>
    public void Observe(double seconds)
    {
        _ring[_next] = Math.Max(0, seconds);
        _next = (_next + 1) % _ring.Length;
        _count = Math.Min(_count + 1, _ring.Length);
        if (++_sinceRecompute >= RecomputeEvery && _count >= MinSamples)
        {
            _sinceRecompute = 0;
            Ttl = Choose();
        }
    }

    private double Choose()
    {
        int n = _count;
        Array.Copy(_ring, _sorted, n);
        Array.Sort(_sorted, 0, n);
        double best = 0;
        double bestUtility = 0; // τ = 0: no pin, no saving, no cost
        double prefix = 0;
        for (int k = 1; k <= n; k++)
        {
            double tau = _sorted[k - 1];
            prefix += tau;
            double utility = (k * ReloadSeconds / n) - ((prefix + ((n - k) * tau)) / n);
            if (utility > bestUtility)
            {
                bestUtility = utility;
                best = tau;
            }
        }

        return best;
    }
}
