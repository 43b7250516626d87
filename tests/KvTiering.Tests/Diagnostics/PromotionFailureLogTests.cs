using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Diagnostics;

/// <summary>
/// A top tier whose writes keep failing fails every promotion a lower-tier hit asks for. Each failure is counted, but
/// only the first is logged in full (<c>PromotionWriteFailed</c>, with its stack trace); after it at most one summary
/// per interval (<c>PromotionFailuresRepeated</c>) says how many failed since. Before, each logged a stack trace.
/// </summary>
public sealed class PromotionFailureLogTests
{
    private readonly FakeLogger _logger = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

    private List<FakeLogRecord> Records(string eventName) =>
        _logger.Collector.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    /// <summary>Re-puts blocks that sit in the lower tier: each is an access that asks for a locked promotion.</summary>
    private static void RePut(TieredKvStore store, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Assert.Equal(1, store.TierOf(Key(i)));
            store.Put(Key(i), BlockKey.Empty, Payload(i));
            Assert.Equal(1, store.TierOf(Key(i))); // the write failed: the block stayed where it was
        }
    }

    [Fact]
    public void A_run_of_failed_promotions_logs_the_first_in_full_then_one_summary_per_interval_and_counts_every_one()
    {
        var top = new FaultyDevice(2, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, TimeProvider = _time, Name = "agents" };
        options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 2) { DeviceFactory = (_, _) => top });
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 256));
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 200; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // all but the last two are demoted into DRAM
        }

        top.FailWrites = true;
        RePut(store, 0, 100);
        FakeLogRecord first = Assert.Single(Records("PromotionWriteFailed"));
        Assert.IsType<IOException>(first.Exception);
        Assert.Equal(Key(0).ToString(), first.GetStructuredStateValue("Key"));
        Assert.Equal("dram", first.GetStructuredStateValue("From"));
        Assert.Empty(Records("PromotionFailuresRepeated"));
        Assert.Equal(100, store.GetStatistics().Tiers[0].WriteFailures);

        // Still inside the interval: counted, not logged.
        _time.Advance(TimeSpan.FromSeconds(59));
        RePut(store, 100, 50);
        Assert.Single(Records("PromotionWriteFailed"));
        Assert.Empty(Records("PromotionFailuresRepeated"));

        // The first failure after the interval logs one summary: the 149 held back and itself, without a stack trace.
        _time.Advance(TimeSpan.FromSeconds(2));
        RePut(store, 150, 10);
        FakeLogRecord summary = Assert.Single(Records("PromotionFailuresRepeated"));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Null(summary.Exception);
        Assert.Equal("150", summary.GetStructuredStateValue("Failures"));
        Assert.Equal("hbm3", summary.GetStructuredStateValue("Tier"));
        Assert.Equal("dram", summary.GetStructuredStateValue("From"));
        Assert.Equal(Key(150).ToString(), summary.GetStructuredStateValue("Key"));
        Assert.Contains("injected", summary.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.Contains("'agents'", summary.Message, StringComparison.Ordinal);
        Assert.Single(Records("PromotionWriteFailed"));
        Assert.Equal(160, store.GetStatistics().Tiers[0].WriteFailures);

        // A second interval: the 9 held back since the summary and the one that ends it.
        _time.Advance(TimeSpan.FromSeconds(61));
        RePut(store, 160, 1);
        Assert.Equal(["150", "10"], Records("PromotionFailuresRepeated").Select(r => r.GetStructuredStateValue("Failures")));

        // After a quiet interval a lone failure is news again: logged in full.
        _time.Advance(TimeSpan.FromSeconds(61));
        RePut(store, 161, 1);
        Assert.Equal(2, Records("PromotionWriteFailed").Count);
        Assert.Equal(Key(161).ToString(), Records("PromotionWriteFailed")[1].GetStructuredStateValue("Key"));
        Assert.Equal(162, store.GetStatistics().Tiers[0].WriteFailures);
    }
}
