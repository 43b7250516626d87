using System.Collections.Concurrent;
using System.Diagnostics;

namespace KvTiering.Store;

/// <summary>
/// Who holds the store's lock, and for how long: when <see cref="Recorder"/> is set (off by default; the contention
/// program sets it), every <see cref="WriteScope"/> records, per call site and thread, the time it waited for the lock
/// and the time it held it. Process-wide, so a diagnostic run sees every store; a store pays one static read per lock
/// hold while it is off.
/// </summary>
internal static class LockHolds
{
    private static volatile LockHoldRecorder? s_recorder;

    /// <summary>Where holds are recorded; null (the default) records nothing.</summary>
    public static LockHoldRecorder? Recorder
    {
        get => s_recorder;
        set => s_recorder = value;
    }
}

/// <summary>Lock waits and holds by call site and thread (see <see cref="LockHolds"/>).</summary>
internal sealed class LockHoldRecorder
{
    private readonly ConcurrentDictionary<(string Site, string? Thread), LockSite> _sites = new();

    /// <summary>Records one hold of <paramref name="site"/> on the calling thread, in Stopwatch ticks.</summary>
    public void Record(string site, long waitTicks, long holdTicks) =>
        _sites.GetOrAdd((site, Thread.CurrentThread.Name), static key => new LockSite(key.Site, key.Thread)).Add(waitTicks, holdTicks);

    /// <summary>Every site recorded so far, longest total hold first.</summary>
    public IReadOnlyList<LockSite> Sites => _sites.Values.OrderByDescending(s => s.HeldTicks).ToList();
}

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
