using System.Diagnostics;

namespace KvTiering.Store;

/// <summary>One call site's (and thread's) lock holds: a count, totals, the longest hold and a log2 histogram of holds.</summary>
internal sealed class LockSite(string site, string? thread)
{
    private readonly long[] _buckets = new long[40]; // bucket b: holds of [2^(b-1), 2^b) ticks
    private readonly Lock _gate = new();

    public string Site => site;

    public string? Thread => thread;

    public long Count { get; private set; }

    public long HeldTicks { get; private set; }

    public long WaitedTicks { get; private set; }

    public long MaxHeldTicks { get; private set; }

    public void Add(long waitTicks, long holdTicks)
    {
        lock (_gate)
        {
            Count++;
            HeldTicks += holdTicks;
            WaitedTicks += waitTicks;
            MaxHeldTicks = Math.Max(MaxHeldTicks, holdTicks);
            _buckets[Math.Min(_buckets.Length - 1, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(0, holdTicks)))]++;
        }
    }

    /// <summary>The hold time (µs) that <paramref name="q"/> of the holds stay under, to the histogram's power of two.</summary>
    public double HoldQuantileMicroseconds(double q)
    {
        lock (_gate)
        {
            long rank = (long)Math.Ceiling(q * Count);
            long seen = 0;
            for (int b = 0; b < _buckets.Length; b++)
            {
                seen += _buckets[b];
                if (seen >= rank && seen > 0)
                {
                    return (1L << b) * 1e6 / Stopwatch.Frequency;
                }
            }

            return 0;
        }
    }
}
