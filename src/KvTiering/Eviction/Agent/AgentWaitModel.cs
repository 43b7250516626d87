namespace KvTiering.Eviction;

/// <summary>
/// The learned distribution of one kind of wait (how long users take to answer once a turn has ended, how long tools
/// take once a response has called one), as counts in log-spaced buckets, and from it the expected remaining wait of a
/// session that has already waited a while: the median of the waits longer than that, less the time already waited
/// (median residual life).
/// </summary>
/// <remarks>
/// Both waits are heavy-tailed (on the WEKA Claude Code sessions, from the end of the response: after an end of turn
/// p25 54 s, median 204 s, p90 3,041 s, and 15% never come back; after a tool call median 8.6 s, p90 72 s, p99 610 s),
/// so the longer a session has waited the longer the rest of its wait: the residual life grows with the time waited
/// (a decreasing hazard, the "Lindy" shape), and a session away longest is the one to give up. Waits never seen to end
/// (users who left) are not counted, so past the longest observed wait the remaining wait is taken to be the time
/// waited. The median makes the estimate comparable with a session's typical gap (a geometric mean, so a median too),
/// which ranks the sessions the policy has no hint for. Counts halve now and then, so the model follows a drifting
/// workload.
/// </remarks>
internal sealed class AgentWaitModel
{
    private const int Buckets = 64;
    private const double Base = 0.5;      // lower edge of bucket 1, seconds; bucket 0 holds everything shorter
    private const double Ratio = 1.25;    // bucket edges grow geometrically: 0.5 s × 1.25^63 ≈ 7.5 days
    private const double HalveAt = 4096;  // total count at which every count halves

    private static readonly double s_logRatio = Math.Log(Ratio);
    private static readonly double[] s_edges = Edges(); // lower edge of each bucket, seconds
    private readonly double[] _count = new double[Buckets];
    private readonly double[] _median = new double[Buckets]; // median of the waits in bucket i or above; NaN: none
    private readonly double[] _suffix = new double[Buckets + 1]; // the count in bucket i or above (survival at its lower edge)
    private readonly double[] _area = new double[Buckets]; // ∫ survival from 0 to bucket i's lower edge (TimePerHit)
    private double _total;

    public AgentWaitModel() => Array.Fill(_median, double.NaN);

    /// <summary>Waits observed (after halvings, so a weight rather than a count).</summary>
    public double Observed => _total;

    /// <summary>A wait of <paramref name="seconds"/> ended.</summary>
    public void Observe(double seconds) => Add(BucketOf(seconds));

    private void Add(int bucket)
    {
        _count[bucket]++;
        if (++_total >= HalveAt)
        {
            for (int i = 0; i < Buckets; i++)
            {
                _count[i] *= 0.5;
            }

            _total *= 0.5;
        }

        Refresh();
    }

    /// <summary>
    /// Counts a wait that has not ended and may never end (a user who has not answered for a long time) as one longer
    /// than any bucket holds, until <see cref="Retract"/> takes it back when it does end.
    /// </summary>
    public void ObserveUnended() => Add(Buckets - 1);

    /// <summary>Takes back one <see cref="ObserveUnended"/> (halving may have shrunk it; counts never go negative).</summary>
    public void Retract()
    {
        double take = Math.Min(1, _count[Buckets - 1]);
        _count[Buckets - 1] -= take;
        _total -= take;
        Refresh();
    }

    /// <summary>Expected remaining wait after <paramref name="waited"/> seconds; at least the time waited once past every observed wait.</summary>
    public double Remaining(double waited)
    {
        double median = _median[BucketOf(waited)];
        return double.IsNaN(median) || median <= waited ? Math.Max(waited, 0) : median - waited;
    }

    /// <summary>
    /// Whether the median of the waits longer than <paramref name="waited"/> lies among the waits never seen to end
    /// (<see cref="ObserveUnended"/>): the model then says the wait more likely never ends, and
    /// <see cref="Remaining"/> is about a week, whatever the time waited.
    /// </summary>
    public bool MostlyUnended(double waited) => _median[BucketOf(waited)] >= s_edges[Buckets - 1];

    /// <summary>
    /// The probability that a wait which has lasted <paramref name="waited"/> seconds ends within
    /// <paramref name="horizon"/> more (to bucket resolution); NaN before any wait longer than <paramref name="waited"/>.
    /// </summary>
    public double EndsWithin(double waited, double horizon)
    {
        double alive = _suffix[BucketOf(waited)];
        return alive <= 0 ? double.NaN : 1 - (_suffix[BucketOf(waited + horizon)] / alive);
    }

    /// <summary>
    /// The inverse of a waiting session's hit density (LHD, Beckmann et al., NSDI 2018): of the waits that have lasted
    /// <paramref name="waited"/> seconds, the expected time each will still hold its blocks within
    /// <paramref name="horizon"/> more (until it ends or the horizon passes) per one that ends within the horizon, so
    /// seconds of space-time per hit: ∫ S over (w, w + h] ÷ (S(w) − S(w + h)), S the survival of the learned waits
    /// (uniform within a bucket; the last bucket, which holds the waits never seen to end, never ends). A wait sure
    /// to end after exactly x more seconds within the horizon scores x, as the median residual would; one unlikely to
    /// end within the horizon scores far later. NaN before any wait longer than <paramref name="waited"/>.
    /// </summary>
    public double TimePerHit(double waited, double horizon)
    {
        double from = Math.Max(waited, 0);
        double to = from + horizon;
        int a = BucketOf(from);
        double alive = _suffix[a];
        if (alive <= 0)
        {
            return double.NaN;
        }

        double atFrom = Survival(a, from);
        double atTo = Survival(BucketOf(to), to);
        double held = Area(BucketOf(to), to, atTo) - Area(a, from, atFrom);
        return held / Math.Max(atFrom - atTo, MinChance * atFrom);
    }

    /// <summary>
    /// The chance that a wait which has lasted <paramref name="waited"/> seconds ends within <paramref name="horizon"/>
    /// more (survival uniform within a bucket, as <see cref="TimePerHit"/>); NaN before any wait longer than
    /// <paramref name="waited"/>. <see cref="EndsWithin"/> is the same chance at bucket resolution, which the learned
    /// predictor (rule 17) was measured with and keeps.
    /// </summary>
    public double Chance(double waited, double horizon)
    {
        double from = Math.Max(waited, 0);
        double atFrom = Survival(BucketOf(from), from);
        if (!(atFrom > 0))
        {
            return double.NaN;
        }

        double to = from + horizon;
        return (atFrom - Survival(BucketOf(to), to)) / atFrom;
    }

    /// <summary>
    /// The smallest chance of ending within a horizon that a ranking divides by (<see cref="TimePerHit"/>, hit density's
    /// median form, the learned predictor's horizon ranking), so a wait never seen to end ranks last, not infinitely.
    /// </summary>
    internal const double MinChance = 1e-3;

    /// <summary>Survival at <paramref name="x"/> in bucket <paramref name="i"/>: the waits from the bucket up, less the bucket's share below x.</summary>
    private double Survival(int i, double x)
    {
        if (i == Buckets - 1)
        {
            return _suffix[i];
        }

        double low = LowerEdge(i);
        return _suffix[i] - (_count[i] * (x - low) / (LowerEdge(i + 1) - low));
    }

    /// <summary>∫ survival from 0 to <paramref name="x"/> in bucket <paramref name="i"/>, given the survival there.</summary>
    private double Area(int i, double x, double survival) =>
        _area[i] + ((x - LowerEdge(i)) * (i == Buckets - 1 ? survival : (_suffix[i] + survival) / 2));

    private static int BucketOf(double seconds) =>
        seconds < Base ? 0 : Math.Min(Buckets - 1, 1 + (int)(Math.Log(seconds / Base) / s_logRatio));

    private static double LowerEdge(int bucket) => s_edges[bucket];

    private static double[] Edges()
    {
        double[] edges = new double[Buckets];
        for (int i = 1; i < Buckets; i++)
        {
            edges[i] = Base * Math.Pow(Ratio, i - 1);
        }

        return edges;
    }

    /// <summary>Recomputes, for every bucket, the median of the waits from it up (one sweep: the median bucket only moves up).</summary>
    private void Refresh()
    {
        double above = 0;
        double[] suffix = _suffix;
        for (int i = Buckets - 1; i >= 0; i--)
        {
            above += _count[i];
            suffix[i] = above;
        }

        _area[0] = 0;
        for (int i = 1; i < Buckets; i++)
        {
            _area[i] = _area[i - 1] + ((LowerEdge(i) - LowerEdge(i - 1)) * (suffix[i - 1] + suffix[i]) / 2);
        }

        int k = 0;
        for (int i = 0; i < Buckets; i++)
        {
            double mass = suffix[i];
            if (mass <= 0)
            {
                _median[i] = double.NaN;
                continue;
            }

            // The bucket k ≥ i where half the mass from i up lies below its upper edge; interpolate geometrically in it.
            k = Math.Max(k, i);
            while (k < Buckets - 1 && suffix[i] - suffix[k + 1] < mass / 2)
            {
                k++;
            }

            double before = suffix[i] - suffix[k];
            double share = _count[k] > 0 ? ((mass / 2) - before) / _count[k] : 0;
            double low = Math.Max(LowerEdge(k), i == k ? LowerEdge(i) : 0);
            double high = k == Buckets - 1 ? LowerEdge(k) * Ratio : LowerEdge(k + 1);
            _median[i] = low <= 0 ? high * share : low * Math.Pow(high / low, share);
        }
    }
}
