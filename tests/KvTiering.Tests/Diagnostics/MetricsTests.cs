using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Tests.Store;
using KvTiering.Tiers;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Diagnostics;

public sealed class MetricsTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    private TieredKvStore CreateStore(string? name = null, FaultyDevice? bottom = null, params int[] capacities)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MeterFactory = _meters, Name = name };
        options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, capacities[0]));
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, capacities[1]) { DeviceFactory = bottom is null ? null : (_, _) => bottom });
        return new TieredKvStore(options);
    }

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct => new(_meters, KvTieringDiagnostics.MeterName, instrument);

    /// <summary>The latest observation of each tag combination, as "tag=value,tag=value" → value.</summary>
    private static Dictionary<string, T> Observe<T>(MetricCollector<T> collector)
        where T : struct
    {
        collector.RecordObservableInstruments();
        var latest = new Dictionary<string, T>();
        foreach (CollectedMeasurement<T> m in collector.GetMeasurementSnapshot(clear: true))
        {
            latest[string.Join(",", m.Tags.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"))] = m.Value;
        }

        return latest;
    }

    [Fact]
    public void Lookups_are_counted_by_tier_and_result()
    {
        using TieredKvStore store = CreateStore(null, null, 2, 4);
        using MetricCollector<long> lookups = Collect<long>(KvTieringDiagnostics.Lookups);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(3), buffer, out _));   // hbm3 hit
        Assert.True(store.TryGet(Key(0), buffer, out _));   // dram hit, promoted
        Assert.True(store.TryGet(Key(0), buffer, out _));   // now an hbm3 hit
        Assert.False(store.TryGet(Key(9), buffer, out _));  // miss

        Dictionary<string, long> seen = Observe(lookups);
        Assert.Equal(2, seen["kvtiering.result=hit,kvtiering.tier=hbm3"]);
        Assert.Equal(1, seen["kvtiering.result=hit,kvtiering.tier=dram"]);
        Assert.Equal(1, seen["kvtiering.result=miss,kvtiering.tier=none"]);
    }

    [Fact]
    public void Slots_set_aside_after_failed_writes_are_observed_per_tier()
    {
        var bottom = new FaultyDevice(8, TinyLayout.BytesPerBlock) { FailWrites = true, NoSpace = true };
        using TieredKvStore store = CreateStore(null, bottom, 2, 8);
        using MetricCollector<long> setAside = Collect<long>(KvTieringDiagnostics.TierSetAside);
        for (int i = 0; i < 6; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // past two, each demotes one into the failing tier
        }

        TierStatistics dram = store.GetStatistics().Tiers[1];
        Assert.Equal(4, dram.WriteFailures);
        Assert.Equal(4, dram.SetAsideSlots); // each failure took a fresh slot: the failed ones are out of use
        Dictionary<string, long> seen = Observe(setAside);
        Assert.Equal(4, seen["kvtiering.tier=dram"]);
        Assert.Equal(0, seen["kvtiering.tier=hbm3"]);
    }

    [Fact]
    public void Bytes_promotions_demotions_evictions_and_usage_follow_the_store()
    {
        using TieredKvStore store = CreateStore(null, null, 2, 2);
        using MetricCollector<long> bytes = Collect<long>(KvTieringDiagnostics.Bytes);
        using MetricCollector<long> promotions = Collect<long>(KvTieringDiagnostics.Promotions);
        using MetricCollector<long> demotions = Collect<long>(KvTieringDiagnostics.Demotions);
        using MetricCollector<long> evictions = Collect<long>(KvTieringDiagnostics.Evictions);
        using MetricCollector<long> usage = Collect<long>(KvTieringDiagnostics.TierUsage);
        using MetricCollector<long> limit = Collect<long>(KvTieringDiagnostics.TierLimit);
        using MetricCollector<long> puts = Collect<long>(KvTieringDiagnostics.Puts);
        for (int i = 0; i < 5; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(2), buffer, out _)); // in dram: promoted, one hbm3 block demoted, one dram block evicted

        StoreStatistics stats = store.GetStatistics();
        Dictionary<string, long> moved = Observe(bytes);
        Assert.Equal(stats.Tiers[0].BytesWritten, moved["kvtiering.direction=write,kvtiering.tier=hbm3"]);
        Assert.Equal(stats.Tiers[1].BytesRead, moved["kvtiering.direction=read,kvtiering.tier=dram"]);
        Assert.Equal(6 * 128, moved["kvtiering.direction=write,kvtiering.tier=hbm3"]); // 5 puts and a promotion
        Assert.Equal(1, Observe(promotions)["kvtiering.tier=dram"]);
        Assert.Equal(stats.Tiers[0].Demotions, Observe(demotions)["kvtiering.tier=hbm3"]);
        Assert.True(stats.Tiers[0].Demotions >= 4);
        Assert.Equal(stats.Tiers[1].Evictions, Observe(evictions)["kvtiering.tier=dram"]);
        Assert.True(stats.Tiers[1].Evictions >= 1);
        Dictionary<string, long> resident = Observe(usage);
        Assert.Equal(stats.Tiers[0].ResidentBlocks, resident["kvtiering.tier=hbm3"]);
        Assert.Equal(stats.Tiers[1].ResidentBlocks, resident["kvtiering.tier=dram"]);
        Assert.Equal(store.Count, resident.Values.Sum());
        Assert.Equal(2, Observe(limit)["kvtiering.tier=hbm3"]);
        Assert.Equal(5, Observe(puts)[string.Empty]);
    }

    [Fact]
    public void Victims_known_dead_are_counted_as_dead_drops_and_evictions_of_their_tier()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MeterFactory = _meters };
        EvictionPolicy policy = EvictionPolicy.Create("dead-fifo", () => new Store.DeadFifoPolicy(session => session == 7));
        options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 2) { Policy = policy });
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8) { Policy = policy });
        using var store = new TieredKvStore(options);
        using MetricCollector<long> dead = Collect<long>(KvTieringDiagnostics.DeadDrops);
        using MetricCollector<long> evictions = Collect<long>(KvTieringDiagnostics.Evictions);
        using MetricCollector<long> demotions = Collect<long>(KvTieringDiagnostics.Demotions);
        for (int i = 0; i < 6; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i), new BlockContext(0, i % 2 == 0 ? 7 : 1)); // even keys: dead session
        }

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(2, stats.Tiers[0].DeadDrops); // keys 0 and 2 left hbm3 dead; keys 1 and 3 moved down
        Assert.Equal(2, Observe(dead)["kvtiering.tier=hbm3"]);
        Assert.Equal(0, Observe(dead)["kvtiering.tier=dram"]);
        Assert.Equal(2, Observe(evictions)["kvtiering.tier=hbm3"]);
        Assert.Equal(2, Observe(demotions)["kvtiering.tier=hbm3"]);
    }

    [Fact]
    public void Modeled_energy_and_time_are_reported_per_tier_from_the_profiles()
    {
        using TieredKvStore store = CreateStore(null, null, 4, 4);
        using MetricCollector<double> energy = Collect<double>(KvTieringDiagnostics.ModeledEnergy);
        using MetricCollector<double> time = Collect<double>(KvTieringDiagnostics.ModeledTime);
        store.Put(Key(0), BlockKey.Empty, Payload(0));

        Assert.Equal(TierProfiles.Hbm3.Joules(128), Observe(energy)["kvtiering.tier=hbm3"], 15);
        Assert.Equal(0, Observe(energy)["kvtiering.tier=dram"]);
        Assert.Equal(TierProfiles.Hbm3.WriteSeconds(128), Observe(time)["kvtiering.tier=hbm3"], 15);
    }

    [Fact]
    public void Checksum_and_write_failures_are_counted_on_their_tier()
    {
        var device = new FaultyDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = CreateStore(null, device, 1, 4);
        using MetricCollector<long> checksum = Collect<long>(KvTieringDiagnostics.ChecksumFailures);
        using MetricCollector<long> writes = Collect<long>(KvTieringDiagnostics.WriteFailures);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1)); // key 0 demoted to the faulty tier
        device.FailReads = true;
        Assert.False(store.TryGet(Key(0), new byte[128], out _));
        device.FailWrites = true;
        store.Put(Key(2), BlockKey.Empty, Payload(2)); // key 1's demotion fails: dropped

        Assert.Equal(1, Observe(checksum)["kvtiering.tier=dram"]);
        Assert.Equal(0, Observe(checksum)["kvtiering.tier=hbm3"]);
        Assert.Equal(1, Observe(writes)["kvtiering.tier=dram"]);
    }

    [Fact]
    public void Lost_and_unreachable_reads_are_counted_apart_from_checksum_failures()
    {
        var device = new FaultyDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = CreateStore(null, device, 1, 4);
        using MetricCollector<long> checksum = Collect<long>(KvTieringDiagnostics.ChecksumFailures);
        using MetricCollector<long> lost = Collect<long>(KvTieringDiagnostics.LostBlocks);
        using MetricCollector<long> unreachable = Collect<long>(KvTieringDiagnostics.UnreachableReads);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // keys 0..2 demoted to the faulty tier
        }

        device.FailReads = true;
        device.Cause = ReadFailure.Lost;
        Assert.False(store.TryGet(Key(0), new byte[128], out _));
        device.Cause = ReadFailure.Unreachable;
        Assert.False(store.TryGet(Key(1), new byte[128], out _));
        device.Cause = ReadFailure.Corrupt;
        Assert.False(store.TryGet(Key(2), new byte[128], out _));

        Assert.Equal(1, Observe(lost)["kvtiering.tier=dram"]);
        Assert.Equal(1, Observe(unreachable)["kvtiering.tier=dram"]);
        Assert.Equal(1, Observe(checksum)["kvtiering.tier=dram"]);
        TierStatistics dram = store.GetStatistics().Tiers[1];
        Assert.Equal((1L, 1L, 1L), (dram.ChecksumFailures, dram.LostBlocks, dram.UnreachableReads));
    }

    [Fact]
    public void A_shared_tiers_fetch_it_could_not_make_is_counted_apart_from_reads_of_resident_blocks()
    {
        SharedFakeDevice? device = null;
        var options = new KvStoreOptions { Layout = TinyLayout, MeterFactory = _meters };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 4));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => device = new SharedFakeDevice([], slots, bytes),
        });
        using var store = new TieredKvStore(options);
        using MetricCollector<long> fetches = Collect<long>(KvTieringDiagnostics.UnreachableFetches);
        using MetricCollector<long> reads = Collect<long>(KvTieringDiagnostics.UnreachableReads);
        device!.FailingWith = ReadFailure.Unreachable;

        Assert.False(store.TryGet(Key(3), new byte[128], out _)); // held nowhere: only a fetch was tried

        Assert.Equal(1, Observe(fetches)["kvtiering.tier=shared"]);
        Assert.Equal(0, Observe(reads)["kvtiering.tier=shared"]);
    }

    [Fact]
    public void A_named_store_tags_its_meter_and_no_measurement_carries_a_key()
    {
        using TieredKvStore store = CreateStore("agents", null, 2, 2);
        using MetricCollector<long> lookups = Collect<long>(KvTieringDiagnostics.Lookups);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.TryGet(Key(0), new byte[128], out _);
        lookups.RecordObservableInstruments();

        Assert.NotEmpty(lookups.GetMeasurementSnapshot());
        Assert.Equal("agents", lookups.Instrument!.Meter.Tags!.Single(t => t.Key == KvTieringDiagnostics.StoreTag).Value);
        Assert.All(lookups.GetMeasurementSnapshot(), x => Assert.Subset(
            new HashSet<string> { KvTieringDiagnostics.TierTag, KvTieringDiagnostics.ResultTag }, x.Tags.Keys.ToHashSet()));
    }

    [Fact]
    public void Tiers_sharing_a_profile_name_get_distinct_tags_and_a_disposed_store_reports_nothing()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MeterFactory = _meters };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 1));
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 1));
        var store = new TieredKvStore(options);
        using MetricCollector<long> usage = Collect<long>(KvTieringDiagnostics.TierUsage);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1));

        Dictionary<string, long> seen = Observe(usage);
        Assert.Equal(1, seen["kvtiering.tier=dram.0"]);
        Assert.Equal(1, seen["kvtiering.tier=dram.1"]);
        store.Dispose();
        Assert.Empty(Observe(usage));
    }

    [Fact]
    public void Without_a_meter_factory_the_store_publishes_nothing()
    {
        using TieredKvStore store = Create(2);
        using var collector = new MetricCollector<long>(null, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.Puts);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        collector.RecordObservableInstruments();
        Assert.Empty(collector.GetMeasurementSnapshot());
    }
}
