using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Diagnostics;

/// <summary>
/// A device that cannot serve its reads (a remote server that is down or came back empty) drops every block the store
/// asks it for. Each drop is counted, but only the first is logged in full (<c>ChecksumFailure</c>); after it at most
/// one summary per interval (<c>ChecksumFailuresRepeated</c>). Before, each drop logged a warning: 127 lines in one part
/// of the remote-tier drill.
/// </summary>
public sealed class ChecksumFailureLogTests
{
    private readonly FakeLogger _logger = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 13, 0, 0, TimeSpan.Zero));

    private List<FakeLogRecord> Records(string eventName) =>
        _logger.Collector.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    /// <summary>Reads blocks the device can no longer serve: each is a miss, and the block is dropped.</summary>
    /// <summary>Reads blocks that miss; each is dropped, or kept when its device could not be reached.</summary>
    private static void ReadLost(TieredKvStore store, int from, int count, bool dropped = true)
    {
        var destination = new byte[TinyLayout.BytesPerBlock];
        for (int i = from; i < from + count; i++)
        {
            Assert.False(store.TryGet(Key(i), destination, out _));
            Assert.Equal(!dropped, store.Contains(Key(i)));
        }
    }

    [Fact]
    public void A_run_of_unreadable_blocks_logs_the_first_in_full_then_one_summary_per_interval_and_counts_every_one()
    {
        var device = new FaultyDevice(256, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, TimeProvider = _time, Name = "agents" };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 256) { DeviceFactory = (_, _) => device });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 200; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        device.FailReads = true;
        ReadLost(store, 0, 100);
        FakeLogRecord first = Assert.Single(Records("ChecksumFailure"));
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Equal(Key(0).ToString(), first.GetStructuredStateValue("Key"));
        Assert.Empty(Records("ChecksumFailuresRepeated"));
        Assert.Equal(100, store.GetStatistics().Tiers[0].ChecksumFailures);

        // Still inside the interval: counted, not logged.
        _time.Advance(TimeSpan.FromSeconds(59));
        ReadLost(store, 100, 50);
        Assert.Single(Records("ChecksumFailure"));
        Assert.Empty(Records("ChecksumFailuresRepeated"));

        // The first drop after the interval logs one summary: the 149 held back and itself.
        _time.Advance(TimeSpan.FromSeconds(2));
        ReadLost(store, 150, 10);
        FakeLogRecord summary = Assert.Single(Records("ChecksumFailuresRepeated"));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal("150", summary.GetStructuredStateValue("Failures"));
        Assert.Equal("dram", summary.GetStructuredStateValue("Tier"));
        Assert.Equal(Key(150).ToString(), summary.GetStructuredStateValue("Key"));
        Assert.Contains("'agents'", summary.Message, StringComparison.Ordinal);
        Assert.Equal(160, store.GetStatistics().Tiers[0].ChecksumFailures);

        // A second interval: the 9 held back since the summary and the one that ends it.
        _time.Advance(TimeSpan.FromSeconds(61));
        ReadLost(store, 160, 1);
        Assert.Equal(["150", "10"], Records("ChecksumFailuresRepeated").Select(r => r.GetStructuredStateValue("Failures")));

        // After a quiet interval a lone drop is news again: logged in full.
        _time.Advance(TimeSpan.FromSeconds(61));
        ReadLost(store, 161, 1);
        Assert.Equal(2, Records("ChecksumFailure").Count);
        Assert.Equal(Key(161).ToString(), Records("ChecksumFailure")[1].GetStructuredStateValue("Key"));
        Assert.Equal(162, store.GetStatistics().Tiers[0].ChecksumFailures);
    }

    [Theory]
    [InlineData(ReadFailure.Lost)]
    [InlineData(ReadFailure.Unreachable)]
    public void Blocks_a_device_lost_or_could_not_reach_are_information_held_back_the_same_way_not_integrity_warnings(ReadFailure cause)
    {
        var device = new FaultyDevice(256, TinyLayout.BytesPerBlock) { Cause = cause };
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger, TimeProvider = _time, Name = "agents" };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 256) { DeviceFactory = (_, _) => device });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 120; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        device.FailReads = true;
        bool dropped = cause == ReadFailure.Lost; // an unreachable block stays for the next read (UnreachableReadTests)
        ReadLost(store, 0, 100, dropped);
        FakeLogRecord first = Assert.Single(Records("BlockUnavailable"));
        Assert.Equal(LogLevel.Information, first.Level);
        Assert.Contains("not an integrity problem", first.Message, StringComparison.Ordinal);
        Assert.Empty(Records("ChecksumFailure"));

        _time.Advance(TimeSpan.FromSeconds(61));
        ReadLost(store, 100, 1, dropped);
        FakeLogRecord summary = Assert.Single(Records("BlocksUnavailableRepeated"));
        Assert.Equal(LogLevel.Information, summary.Level);
        Assert.Equal("100", summary.GetStructuredStateValue("Failures"));
        Assert.Empty(Records("ChecksumFailuresRepeated"));

        TierStatistics tier = store.GetStatistics().Tiers[0];
        Assert.Equal(0, tier.ChecksumFailures);
        Assert.Equal(101, cause == ReadFailure.Lost ? tier.LostBlocks : tier.UnreachableReads);

        // A real checksum failure among them is still news: its own warning, not held back by the other run.
        device.Cause = ReadFailure.Corrupt;
        ReadLost(store, 101, 1);
        Assert.Equal(LogLevel.Warning, Assert.Single(Records("ChecksumFailure")).Level);
    }
}
