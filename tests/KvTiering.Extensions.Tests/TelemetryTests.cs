using System.Diagnostics.Metrics;
using KvTiering.Diagnostics;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace KvTiering.Extensions.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public void The_container_store_publishes_on_the_KvTiering_meter_of_the_containers_factory()
    {
        using ServiceProvider provider = new ServiceCollection().AddKvTiering().BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        using var lookups = new MetricCollector<long>(factory, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.Lookups);
        using var usage = new MetricCollector<long>(factory, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.TierUsage);
        IDistributedCache cache = provider.GetRequiredService<IDistributedCache>();
        cache.Set("a", new byte[40_000]);   // one manifest and three chunks
        Assert.NotNull(cache.Get("a"));
        Assert.Null(cache.Get("b"));

        lookups.RecordObservableInstruments();
        usage.RecordObservableInstruments();
        var byTags = lookups.GetMeasurementSnapshot().ToDictionary(
            m => $"{m.Tags[KvTieringDiagnostics.TierTag]}/{m.Tags[KvTieringDiagnostics.ResultTag]}", m => m.Value);
        Assert.True(byTags["dram/hit"] >= 4);
        Assert.True(byTags["none/miss"] >= 1);
        Assert.Equal(4, usage.LastMeasurement!.Value);
        Assert.Equal("dram", usage.LastMeasurement.Tags[KvTieringDiagnostics.TierTag]);
    }

    [Fact]
    public void A_keyed_store_tags_its_meter_with_its_key()
    {
        using ServiceProvider provider = new ServiceCollection().AddKeyedKvTiering("agents").BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        using var puts = new MetricCollector<long>(factory, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.Puts);
        provider.GetRequiredKeyedService<IDistributedCache>("agents").Set("k", [1]);

        puts.RecordObservableInstruments();
        Assert.Equal(1, puts.LastMeasurement!.Value);
        Assert.Contains(puts.Instrument!.Meter.Tags!, t => t.Key == KvTieringDiagnostics.StoreTag && (string?)t.Value == "agents");
    }

    [Fact]
    public void With_logging_registered_the_store_logs_through_the_containers_logger_factory()
    {
        using ServiceProvider provider = new ServiceCollection().AddFakeLogging().AddKvTiering().BuildServiceProvider();
        provider.GetRequiredService<TieredKvStore>();

        FakeLogRecord opened = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "StoreOpened");
        Assert.Equal(typeof(TieredKvStore).FullName, opened.Category);
        Assert.Equal("16384", opened.GetStructuredStateValue("CapacityBlocks"));
    }
}
