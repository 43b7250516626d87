namespace KvTiering.Simulation.Workloads;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a fixed algorithm, so a seed gives the same workload on every runtime
/// (System.Random's sequence is not a documented contract).
/// </summary>
/// <remarks>Blackman and Vigna, "Scrambled Linear Pseudorandom Number Generators" (ACM TOMS 2021).</remarks>
internal sealed class DeterministicRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public DeterministicRandom(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>Exponentially distributed with the given mean (0 when the mean is 0).</summary>
    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>A count ≥ 1, geometric with the given mean (≥ 1).</summary>
    public int Geometric(double mean)
    {
        if (mean <= 1)
        {
            return 1;
        }

        double n = 1 + Math.Floor(Math.Log(1.0 - NextDouble()) / Math.Log(1.0 - (1.0 / mean)));
        return (int)Math.Min(n, int.MaxValue);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
