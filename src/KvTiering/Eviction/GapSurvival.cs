namespace KvTiering.Eviction;

/// <summary>
/// The distribution of sessions' inter-request gaps, learned online: a log-spaced histogram of observed gaps plus the
/// sessions still waiting (right-censored at their current idle time), turned into a Kaplan–Meier survival curve S(t)
/// = P(gap &gt; t). From it, the chance that a session idle for τ seconds returns within the next H seconds is
/// (S(τ) − S(τ + H)) / S(τ). Sessions that never return stay censored, so they weigh as long waits, not as noise.
/// </summary>
/// <remarks>Kaplan &amp; Meier, "Nonparametric estimation from incomplete observations", JASA 1958.</remarks>
internal sealed class GapSurvival
{
    // Quarter-octave bins from 1/4 s to 2^21 s (~24 days): bin k covers [2^(k/4 − 2), 2^((k+1)/4 − 2)).
    private const int BinsPerOctave = 4;
    private const int Bins = 23 * BinsPerOctave;
    private const double MinGap = 0.25;

    private readonly double[] _events = new double[Bins];
    private readonly double[] _censored = new double[Bins];
    private readonly double[] _survival = new double[Bins + 1]; // S at the lower edge of each bin; S[Bins] = beyond
    private double _observations;

    /// <summary>Gaps observed so far.</summary>
    public double Observations => _observations;

    /// <summary>Records one completed gap.</summary>
    public void AddGap(double seconds)
    {
        _events[Bin(seconds)] += 1;
        _observations += 1;
        if (_observations > 1 << 20)
        {
            // Forget slowly, so a long-running server follows its workload.
            for (int k = 0; k < Bins; k++)
            {
                _events[k] *= 0.5;
            }

            _observations *= 0.5;
        }
    }

    /// <summary>Starts a rebuild: clears the censored (still waiting) sessions.</summary>
    public void BeginCensus() => Array.Clear(_censored);

    /// <summary>A session still waiting after <paramref name="idleSeconds"/>.</summary>
    public void AddWaiting(double idleSeconds) => _censored[Bin(idleSeconds)] += 1;

    /// <summary>Recomputes the survival curve from gaps and waiting sessions.</summary>
    public void EndCensus()
    {
        double atRisk = 0;
        for (int k = 0; k < Bins; k++)
        {
            atRisk += _events[k] + _censored[k];
        }

        double s = 1;
        for (int k = 0; k < Bins; k++)
        {
            _survival[k] = s;
            if (atRisk > 0)
            {
                s *= 1 - (_events[k] / atRisk);
            }

            atRisk -= _events[k] + _censored[k];
        }

        _survival[Bins] = s;
    }

    /// <summary>P(gap &gt; <paramref name="seconds"/>), interpolated within a bin on the log scale.</summary>
    public double Survival(double seconds)
    {
        if (seconds <= MinGap)
        {
            return 1;
        }

        double position = (Math.Log2(seconds / MinGap) * BinsPerOctave);
        if (position >= Bins)
        {
            return _survival[Bins];
        }

        int k = (int)position;
        double f = position - k;
        return _survival[k] + (f * (_survival[k + 1] - _survival[k]));
    }

    /// <summary>P(the session returns within <paramref name="horizon"/> | idle for <paramref name="idle"/>).</summary>
    public double ReturnProbability(double idle, double horizon)
    {
        double now = Survival(idle);
        return now <= 1e-12 ? 0 : (now - Survival(idle + horizon)) / now;
    }

    private static int Bin(double seconds)
    {
        if (!(seconds > MinGap))
        {
            return 0;
        }

        int k = (int)(Math.Log2(seconds / MinGap) * BinsPerOctave);
        return Math.Min(k, Bins - 1);
    }
}
