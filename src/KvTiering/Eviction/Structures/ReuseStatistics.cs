namespace KvTiering.Eviction;

/// <summary>
/// Per request category, the share of requests whose session came back and the mean time it took: an exponential
/// reuse-time model per category, as "KVCache Cache in the Wild" fits. Starts from a weak prior (one reuse in two,
/// after 60 s) so the first estimates are finite.
/// </summary>
internal sealed class ReuseStatistics
{
    /// <summary>Categories: (unknown, tool call, end of turn) × (first turn, later turn).</summary>
    public const int Categories = 6;
    private const double PriorMean = 60;
    private readonly double[] _ends = new double[Categories];
    private readonly double[] _returns = new double[Categories];
    private readonly double[] _reuseSeconds = new double[Categories];

    public static byte CategoryOf(byte ending, int turns) => (byte)((ending * 2) + (turns > 1 ? 1 : 0));

    public void Ended(byte category) => _ends[category]++;

    public void Unended(byte category) => _ends[category] = Math.Max(0, _ends[category] - 1);

    public void Returned(byte category, double seconds)
    {
        _returns[category]++;
        _reuseSeconds[category] += Math.Max(0, seconds);
    }

    /// <summary>
    /// The probability that a block of <paramref name="category"/> idle for <paramref name="age"/> seconds is used
    /// again: P(reuse) e^(−age/μ) / (P(reuse) e^(−age/μ) + 1 − P(reuse)).
    /// </summary>
    public double ReuseProbability(byte category, double age)
    {
        double p = (_returns[category] + 1) / (_ends[category] + 2);
        double mean = (_reuseSeconds[category] + PriorMean) / (_returns[category] + 1);
        double still = p * Math.Exp(-Math.Max(0, age) / mean);
        return still / (still + (1 - p));
    }
}
