using System.Diagnostics;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// What the lower tier took in during one phase, per second: the top tier's demotions that were kept (each bound to
/// a lower slot and written, by the write-behind worker for a flash tier) and those the full write-behind queue
/// dropped (<see cref="TierStatistics.WriteBehindDrops"/>).
/// The price side of a lower worker priority: hits gain the cores, the lower tier keeps fewer blocks. Also the
/// garbage collections the phase saw (a collection suspends the hit thread too, mid-copy as often as not).
/// </summary>
internal sealed class WriteBehindRates
{
    private readonly TieredKvStore _store;
    private readonly int _blockBytes;
    private readonly long _demotions;
    private readonly long _drops;
    private readonly long _started;
    private readonly int _collections;
    private readonly TimeSpan _paused;

    private WriteBehindRates(TieredKvStore store, int blockBytes)
    {
        _store = store;
        _blockBytes = blockBytes;
        (_demotions, _drops) = Read(store);
        _collections = GC.CollectionCount(0);
        _paused = GC.GetTotalPauseDuration();
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts counting at the phase's start.</summary>
    public static WriteBehindRates Start(TieredKvStore store, int blockBytes) => new(store, blockBytes);

    /// <summary>The phase's rates so far, as one line.</summary>
    public string Stop()
    {
        double seconds = (double)(Stopwatch.GetTimestamp() - _started) / Stopwatch.Frequency;
        (long demotions, long drops) = Read(_store);
        long kept = demotions - _demotions;
        long dropped = drops - _drops;
        return $"demotions written {kept / seconds:0}/s, dropped {dropped / seconds:0}/s " +
            $"({100.0 * dropped / Math.Max(1, kept + dropped):0.0}% of demotions), {kept * (double)_blockBytes / seconds / 1e6:0} MB/s written; " +
            $"{GC.CollectionCount(0) - _collections} garbage collections, {(GC.GetTotalPauseDuration() - _paused).TotalMilliseconds:0.0} ms paused";
    }

    private static (long Demotions, long Drops) Read(TieredKvStore store)
    {
        StoreStatistics statistics = store.GetStatistics();
        return (statistics.Tiers[0].Demotions, statistics.Tiers[1].WriteBehindDrops);
    }
}
