using System.Diagnostics;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// The hit thread's lookups split by how the store answered them (<see cref="LookupTrace"/>): the first lock-free try,
/// lock-free after retries (a writer interrupted the copy), or the locked reader; count and time in each.
/// </summary>
internal sealed class HitOutcomes
{
    private readonly long[] _count = new long[3];
    private readonly long[] _ticks = new long[3];
    private long _retries;
    private long _copyTicks;
    private long _allTicks;
    private readonly long[] _cpus = new long[64];

    /// <summary>Call just before the timed lookup.</summary>
    public static void Begin() => LookupTrace.Reset();

    /// <summary>Books the lookup that just ended, which took <paramref name="ticks"/>.</summary>
    public void End(long ticks)
    {
        int retries = LookupTrace.Retries;
        int bin = LookupTrace.LockedReads > 0 ? 2 : retries > 0 ? 1 : 0;
        _count[bin]++;
        _ticks[bin] += ticks;
        _retries += retries;
        _copyTicks += LookupTrace.CopyTicks;
        _allTicks += ticks;
    }

    /// <summary>Books one sample of the CPU the hit thread ran on (every 1,024th hit).</summary>
    public void SawCpu(int cpu) => _cpus[Math.Clamp(cpu, 0, _cpus.Length - 1)]++;

    /// <summary>The share of samples on each CPU the hit thread was seen on, as "hit thread on cpu 0 40%, cpu 1 60%".</summary>
    public string Cpus
    {
        get
        {
            long all = Math.Max(1, _cpus.Sum());
            return "hit thread on " + string.Join(", ", _cpus.Select((n, cpu) => (n, cpu)).Where(x => x.n > 0)
                .Select(x => $"cpu {x.cpu} {100.0 * x.n / all:0}%"));
        }
    }

    public override string ToString()
    {
        long all = _count[0] + _count[1] + _count[2];
        return $"first try {Bin(0, all)}; after retries {Bin(1, all)}; locked {Bin(2, all)}; " +
            $"lock-free retries {_retries} ({(double)_retries / Math.Max(1, all):0.000} per lookup)" + Copies(all);
    }

    /// <summary>The lock-free copies' share of the hit thread's time, when they were timed (the <c>copies</c> flag).</summary>
    private string Copies(long all)
    {
        if (!LookupTrace.TimesCopies)
        {
            return "";
        }

        double us = 1e6 / Stopwatch.Frequency;
        return $"; copies {_copyTicks * us / 1000:0.0} ms of {_allTicks * us / 1000:0.0} ms ({100.0 * _copyTicks / Math.Max(1, _allTicks):0.0}%), " +
            $"mean copy {_copyTicks * us / Math.Max(1, all):0.00} µs, mean rest {(_allTicks - _copyTicks) * us / Math.Max(1, all):0.00} µs per hit";
    }

    private string Bin(int bin, long all)
    {
        double us = 1e6 / Stopwatch.Frequency;
        return $"{_count[bin]} ({100.0 * _count[bin] / Math.Max(1, all):0.00}%, mean {_ticks[bin] * us / Math.Max(1, _count[bin]):0.0} µs, " +
            $"{_ticks[bin] * us / 1000:0.0} ms)";
    }
}
