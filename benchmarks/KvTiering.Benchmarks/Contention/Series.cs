using System.Diagnostics;

namespace KvTiering.Benchmarks.Contention;

/// <summary>A series of latencies in Stopwatch ticks.</summary>
internal sealed class Series
{
    private readonly List<long> _ticks = new(1 << 16);
    private long _total;

    public void Add(long ticks)
    {
        _ticks.Add(ticks);
        _total += ticks;
    }

    public double Throughput => _ticks.Count / ((double)_total / Stopwatch.Frequency);

    public double P(double q)
    {
        if (_ticks.Count == 0)
        {
            return double.NaN;
        }

        _ticks.Sort();
        return _ticks[Math.Min(_ticks.Count - 1, (int)(q * _ticks.Count))] * 1e6 / Stopwatch.Frequency;
    }

    public void Print(string what) =>
        Console.WriteLine($"| {what} | {_ticks.Count} | {Throughput:0} | {P(0.5):0.0} | {P(0.99):0.0} | {P(0.999):0.0} |");
}
