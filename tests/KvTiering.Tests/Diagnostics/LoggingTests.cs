using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Diagnostics;

public sealed class LoggingTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeLogger _logger = new();

    public void Dispose() => _temp.Dispose();

    private List<FakeLogRecord> Records(string eventName) =>
        _logger.Collector.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    [Fact]
    public void Opening_flushing_and_recovering_a_store_are_logged_with_counts()
    {
        string dir = _temp.Sub("flash");
        KvStoreOptions Options() => new()
        {
            Layout = TinyLayout,
            Logger = _logger,
            Name = "agents",
            FlushOnDispose = true,
            Tiers = { },
        };

        KvStoreOptions first = Options();
        first.Tiers.Add(new TierOptions(TierProfiles.Dram, 4));
        first.Tiers.Add(new TierOptions(TierProfiles.Flash, 8) { Directory = dir });
        using (var store = new TieredKvStore(first))
        {
            store.Put(Key(0), BlockKey.Empty, Payload(0));
            store.Put(Key(1), BlockKey.Empty, Payload(1));
        }

        KvStoreOptions second = Options();
        second.Tiers.Add(new TierOptions(TierProfiles.Dram, 4));
        second.Tiers.Add(new TierOptions(TierProfiles.Flash, 8) { Directory = dir, FlashRecoveryVerificationBudget = PatientFlash.Budget });
        using var reopened = new TieredKvStore(second);

        FakeLogRecord opened = Records("StoreOpened")[0];
        Assert.Equal(LogLevel.Information, opened.Level);
        Assert.Contains("'agents'", opened.Message, StringComparison.Ordinal);
        Assert.Equal("12", opened.GetStructuredStateValue("CapacityBlocks"));
        Assert.Equal("2", Records("Flushed").Single().GetStructuredStateValue("Blocks"));
        List<FakeLogRecord> recovered = Records("BlocksRecovered");
        Assert.Equal(["0", "2"], recovered.Select(r => r.GetStructuredStateValue("Blocks")));
        Assert.Equal("flash", recovered[1].GetStructuredStateValue("Tier"));
    }

    [Fact]
    public void Checksum_and_write_failures_are_warnings_that_name_the_tier_and_block()
    {
        var device = new FaultyDevice(4, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, Logger = _logger };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 4) { DeviceFactory = (_, _) => device });
        using var store = new TieredKvStore(options);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        device.FailReads = true;
        store.TryGet(Key(0), new byte[128], out _);
        device.FailWrites = true;
        Assert.Equal(PutResult.Dropped, store.Put(Key(1), BlockKey.Empty, Payload(1)));

        FakeLogRecord checksum = Records("ChecksumFailure").Single();
        Assert.Equal(LogLevel.Warning, checksum.Level);
        Assert.Equal(Key(0).ToString(), checksum.GetStructuredStateValue("Key"));
        Assert.Equal("dram", checksum.GetStructuredStateValue("Tier"));
        FakeLogRecord write = Records("WriteFailed").Single();
        Assert.IsType<IOException>(write.Exception);
        Assert.Equal(Key(1).ToString(), write.GetStructuredStateValue("Key"));
    }
}
