using System.Diagnostics.Metrics;
using KvTiering.Devices;
using KvTiering.Store;

namespace KvTiering.Diagnostics;

/// <summary>
/// The store's instruments on one <see cref="Meter"/> named <see cref="KvTieringDiagnostics.MeterName"/>. Every
/// instrument is observable: it reads the counters the store keeps anyway when a listener collects, so the store's
/// hot path does no metric work at all.
/// </summary>
/// <remarks>
/// A tier's hit count includes puts of blocks it already held (a re-offered block is a lookup that hits, and the
/// policies see it as an access); misses are store-wide and carry <c>kvtiering.tier=none</c>. The meter comes from an
/// <see cref="IMeterFactory"/>, which owns and disposes it; after the store is disposed the callbacks report nothing.
/// </remarks>
internal sealed class KvTieringMetrics
{
    private const string Blocks = "{block}";

    private readonly TieredKvStore _store;
    private readonly KeyValuePair<string, object?>[][] _tierTags;
    private readonly KeyValuePair<string, object?>[][] _hitTags;
    private readonly KeyValuePair<string, object?>[][] _readTags;
    private readonly KeyValuePair<string, object?>[][] _writeTags;
    private readonly KeyValuePair<string, object?>[] _missTags =
        [new(KvTieringDiagnostics.TierTag, "none"), new(KvTieringDiagnostics.ResultTag, "miss")];

    public KvTieringMetrics(TieredKvStore store, IMeterFactory factory, string? storeName)
    {
        _store = store;
        string[] names = TierTagValues(store);
        _tierTags = Array.ConvertAll(names, n => new KeyValuePair<string, object?>[] { new(KvTieringDiagnostics.TierTag, n) });
        _hitTags = Array.ConvertAll(names, n => new KeyValuePair<string, object?>[]
            { new(KvTieringDiagnostics.TierTag, n), new(KvTieringDiagnostics.ResultTag, "hit") });
        _readTags = Array.ConvertAll(names, n => new KeyValuePair<string, object?>[]
            { new(KvTieringDiagnostics.TierTag, n), new(KvTieringDiagnostics.DirectionTag, "read") });
        _writeTags = Array.ConvertAll(names, n => new KeyValuePair<string, object?>[]
            { new(KvTieringDiagnostics.TierTag, n), new(KvTieringDiagnostics.DirectionTag, "write") });

        var options = new MeterOptions(KvTieringDiagnostics.MeterName);
        if (storeName is not null)
        {
            options.Tags = [new(KvTieringDiagnostics.StoreTag, storeName)];
        }

        Meter = factory.Create(options);
        Meter.CreateObservableCounter(KvTieringDiagnostics.Lookups, ObserveLookups, "{lookup}",
            "Block lookups, by the tier that served the hit or none for a miss");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Puts, ObservePuts, "{put}", "Block puts");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Bytes, ObserveBytes, "By",
            "Payload bytes read out of and written into each tier");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Promotions, () => PerTier(static t => t.Promotions), Blocks,
            "Blocks promoted out of the tier to a higher one");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Demotions, () => PerTier(static t => t.Demotions), Blocks,
            "Blocks demoted out of the tier to a lower one");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Evictions, () => PerTier(static t => t.Evictions), Blocks,
            "Blocks dropped out of the store from the tier");
        Meter.CreateObservableCounter(KvTieringDiagnostics.DeadDrops, () => PerTier(static t => t.DeadDrops), Blocks,
            "Victims the tier's policy knew dead, dropped out of the store instead of moved down (also evictions)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.Rejections, () => PerTier(static t => t.Rejections), Blocks,
            "Blocks the tier's policy declined to admit");
        Meter.CreateObservableCounter(KvTieringDiagnostics.ChecksumFailures, () => PerTier(static t => t.ChecksumFailures),
            Blocks, "Reads whose bytes failed verification (damaged or forged), served as misses");
        Meter.CreateObservableCounter(KvTieringDiagnostics.LostBlocks, () => PerTier(static t => t.LostBlocks),
            Blocks, "Reads of blocks the device no longer had (emptied, overwritten, evicted), served as misses");
        Meter.CreateObservableCounter(KvTieringDiagnostics.UnreachableReads, () => PerTier(static t => t.UnreachableReads),
            Blocks, "Reads of resident blocks the device could not make (unreachable), served as misses");
        Meter.CreateObservableCounter(KvTieringDiagnostics.UnreachableFetches, () => PerTier(static t => t.UnreachableFetches),
            Blocks, "A shared tier's fetches of blocks the store did not hold that the tier could not be asked, served as misses");
        Meter.CreateObservableCounter(KvTieringDiagnostics.UnreachableWrites, () => PerTier(static t => t.UnreachableWrites),
            Blocks, "Puts and demotions passed over because the device could not take a write then (also rejections)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.StagedHits, () => PerTier(static t => t.StagedHits),
            "{lookup}", "Lookups served from the staged copy of a write-behind write still in flight (no device read; also hits)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.ResidentPuts, () => PerTier(static t => t.ResidentPuts),
            "{put}", "Puts of a block already resident in the tier (an access, nothing read; also hits)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.WriteFailures, () => PerTier(static t => t.WriteFailures),
            Blocks, "Writes that failed; each block was dropped");
        Meter.CreateObservableCounter(KvTieringDiagnostics.TierFaults, ObserveTierFaults, Blocks,
            "Faults a tier's device found in what it holds, by kind (flash: corrupt_file, truncated_file, lost_write, unverified, "
            + "authentication; redis: vanished, checksum, authentication, connection, dropped_write)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.WriteBehindDrops, () => PerTier(static t => t.WriteBehindDrops),
            Blocks, "Demotions dropped for want of room in the tier's write-behind queue (0: a full queue writes on the put's path)");
        Meter.CreateObservableCounter(KvTieringDiagnostics.WriteBehindOverflows, () => PerTier(static t => t.WriteBehindOverflows),
            Blocks, "Demotions and direct puts that found the tier's write-behind queue full and were written on the put's path");
        Meter.CreateObservableUpDownCounter(KvTieringDiagnostics.TierUsage, () => PerTier(static t => t.ResidentBlocks),
            Blocks, "Blocks resident in the tier");
        Meter.CreateObservableUpDownCounter(KvTieringDiagnostics.TierLimit, () => PerTier(static t => t.CapacityBlocks),
            Blocks, "Capacity of the tier");
        Meter.CreateObservableUpDownCounter(KvTieringDiagnostics.TierSetAside, () => PerTier(static t => t.SetAsideSlots),
            Blocks, "Slots out of use after a failed write (a full disk); probed again with back-off, and back as probes' writes land");
        Meter.CreateObservableCounter(KvTieringDiagnostics.ModeledEnergy, () => PerTierDouble(static t => t.ModeledJoules),
            "J", "Modeled energy of the bytes moved in and out of the tier, from its profile");
        Meter.CreateObservableCounter(KvTieringDiagnostics.ModeledTime, () => PerTierDouble(static t => t.ModeledSeconds),
            "s", "Modeled transfer time of the bytes moved in and out of the tier, from its profile");
    }

    /// <summary>The meter the instruments live on (owned by the factory that created it).</summary>
    public Meter Meter { get; }

    private StoreStatistics? Snapshot() => _store.IsDisposed ? null : _store.GetStatistics();

    private Measurement<long>[] ObserveLookups()
    {
        if (Snapshot() is not { } stats)
        {
            return [];
        }

        var measurements = new Measurement<long>[stats.Tiers.Count + 1];
        for (int t = 0; t < stats.Tiers.Count; t++)
        {
            measurements[t] = new Measurement<long>(stats.Tiers[t].Hits, _hitTags[t]);
        }

        measurements[^1] = new Measurement<long>(stats.Misses, _missTags);
        return measurements;
    }

    private Measurement<long>[] ObservePuts() =>
        Snapshot() is { } stats ? [new Measurement<long>(stats.Puts)] : [];

    private Measurement<long>[] ObserveBytes()
    {
        if (Snapshot() is not { } stats)
        {
            return [];
        }

        var measurements = new Measurement<long>[stats.Tiers.Count * 2];
        for (int t = 0; t < stats.Tiers.Count; t++)
        {
            measurements[2 * t] = new Measurement<long>(stats.Tiers[t].BytesRead, _readTags[t]);
            measurements[(2 * t) + 1] = new Measurement<long>(stats.Tiers[t].BytesWritten, _writeTags[t]);
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> ObserveTierFaults()
    {
        if (_store.IsDisposed)
        {
            yield break;
        }

        for (int t = 0; t < _tierTags.Length; t++)
        {
            if (_store.DeviceAt(t) is not IFaultCountingDevice device)
            {
                continue;
            }

            string tier = (string)_tierTags[t][0].Value!;
            foreach (KeyValuePair<string, long> fault in device.GetFaultCounts())
            {
                yield return Fault(fault.Value, tier, fault.Key);
            }
        }
    }

    private static Measurement<long> Fault(long value, string tier, string kind) =>
        new(value, new KeyValuePair<string, object?>(KvTieringDiagnostics.TierTag, tier),
            new KeyValuePair<string, object?>(KvTieringDiagnostics.FaultTag, kind));

    private Measurement<long>[] PerTier(Func<TierStatistics, long> select)
    {
        if (Snapshot() is not { } stats)
        {
            return [];
        }

        var measurements = new Measurement<long>[stats.Tiers.Count];
        for (int t = 0; t < measurements.Length; t++)
        {
            measurements[t] = new Measurement<long>(select(stats.Tiers[t]), _tierTags[t]);
        }

        return measurements;
    }

    private Measurement<double>[] PerTierDouble(Func<TierStatistics, double> select)
    {
        if (Snapshot() is not { } stats)
        {
            return [];
        }

        var measurements = new Measurement<double>[stats.Tiers.Count];
        for (int t = 0; t < measurements.Length; t++)
        {
            measurements[t] = new Measurement<double>(select(stats.Tiers[t]), _tierTags[t]);
        }

        return measurements;
    }

    /// <summary>Each tier's profile name, suffixed with its position where two tiers share one.</summary>
    private static string[] TierTagValues(TieredKvStore store)
    {
        var profiles = new string[store.TierCount];
        for (int t = 0; t < profiles.Length; t++)
        {
            profiles[t] = store.TierProfileAt(t).Name;
        }

        var names = new string[profiles.Length];
        for (int t = 0; t < names.Length; t++)
        {
            string name = profiles[t];
            bool shared = Array.FindAll(profiles, n => string.Equals(n, name, StringComparison.Ordinal)).Length > 1;
            names[t] = shared ? $"{name}.{t}" : name;
        }

        return names;
    }
}
