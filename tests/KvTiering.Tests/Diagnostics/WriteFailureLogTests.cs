using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Diagnostics;

/// <summary>
/// A disk that stays full fails every write. Each failure is counted, but only the first is logged in full (with its
/// stack trace); after it at most one summary per interval says how many failed since. Before, the soak's ten minutes
/// logged 2.1 million stack traces.
/// </summary>
public sealed class WriteFailureLogTests
{
    private readonly FakeLogger _logger = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

    private List<FakeLogRecord> Records(string eventName) =>
        _logger.Collector.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    private TieredKvStore Open(FaultyDevice device)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, TimeProvider = _time, Name = "agents" };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 256) { DeviceFactory = (_, _) => device });
        return new TieredKvStore(options);
    }

    private static void PutMany(TieredKvStore store, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Assert.Equal(PutResult.Dropped, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }
    }

    [Fact]
    public void A_run_of_failures_logs_the_first_in_full_then_one_summary_per_interval_and_counts_every_one()
    {
        var device = new FaultyDevice(256, TinyLayout.BytesPerBlock) { FailWrites = true };
        using TieredKvStore store = Open(device);

        PutMany(store, 0, 100);
        FakeLogRecord first = Assert.Single(Records("WriteFailed"));
        Assert.IsType<IOException>(first.Exception);
        Assert.Equal(Key(0).ToString(), first.GetStructuredStateValue("Key"));
        Assert.Empty(Records("WriteFailuresRepeated"));
        Assert.Equal(100, store.GetStatistics().Tiers[0].WriteFailures);

        // Still inside the interval: counted, not logged.
        _time.Advance(TimeSpan.FromSeconds(59));
        PutMany(store, 100, 50);
        Assert.Single(Records("WriteFailed"));
        Assert.Empty(Records("WriteFailuresRepeated"));

        // The first failure after the interval logs one summary: the 149 held back and itself, without a stack trace.
        _time.Advance(TimeSpan.FromSeconds(2));
        PutMany(store, 150, 10);
        FakeLogRecord summary = Assert.Single(Records("WriteFailuresRepeated"));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Null(summary.Exception);
        Assert.Equal("150", summary.GetStructuredStateValue("Failures"));
        Assert.Equal("dram", summary.GetStructuredStateValue("Tier"));
        Assert.Equal(Key(150).ToString(), summary.GetStructuredStateValue("Key"));
        Assert.Contains("injected", summary.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.Contains("'agents'", summary.Message, StringComparison.Ordinal);
        Assert.Single(Records("WriteFailed"));
        Assert.Equal(160, store.GetStatistics().Tiers[0].WriteFailures);

        // A second interval: the 9 held back since the summary and the one that ends it.
        _time.Advance(TimeSpan.FromSeconds(61));
        PutMany(store, 160, 1);
        Assert.Equal(["150", "10"], Records("WriteFailuresRepeated").Select(r => r.GetStructuredStateValue("Failures")));

        // After a quiet interval a lone failure is news again: logged in full.
        _time.Advance(TimeSpan.FromSeconds(61));
        PutMany(store, 161, 1);
        Assert.Equal(2, Records("WriteFailed").Count);
        Assert.Equal(Key(161).ToString(), Records("WriteFailed")[1].GetStructuredStateValue("Key"));
        Assert.Equal(162, store.GetStatistics().Tiers[0].WriteFailures);
    }

    [Fact]
    public void Each_tier_has_its_own_first_failure()
    {
        var dram = new FaultyDevice(2, TinyLayout.BytesPerBlock);
        var lower = new FaultyDevice(256, TinyLayout.BytesPerBlock) { FailWrites = true };
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, TimeProvider = _time };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 2) { DeviceFactory = (_, _) => dram });
        options.Tiers.Add(new TierOptions(new TierProfile("lower", TierKind.Dram, 64e9, 64e9, TimeSpan.FromMicroseconds(5), 1300.0 / 64, 2_000_000_000_000), 256) { DeviceFactory = (_, _) => lower });
        using var store = new TieredKvStore(options);

        for (int i = 0; i < 20; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // each put past two demotes one into the failing tier
        }

        dram.FailWrites = true;
        store.Put(Key(99), BlockKey.Empty, Payload(99));

        Assert.Equal(["lower", "dram"], Records("WriteFailed").Select(r => r.GetStructuredStateValue("Tier")));
        Assert.True(store.GetStatistics().Tiers[1].WriteFailures >= 18);
    }
}
