using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A tier's hits that read nothing from its device are counted apart as well as in its hits: those served from the
/// staged copy of a write-behind write still in flight (<see cref="TierStatistics.StagedHits"/>,
/// <c>kvtiering.staged_hits</c>) and puts of a block already there (<see cref="TierStatistics.ResidentPuts"/>,
/// <c>kvtiering.resident_puts</c>), so a remote tier's hits tell its round trips from the rest (the remote drill's
/// part 5, docs/reliability.md).
/// </summary>
public sealed class HitSourceTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task Hits_on_a_staged_copy_are_counted_apart_and_hits_on_the_device_are_not()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 8, MeterFactory = _meters };
        options.Tiers.Add(new TierOptions(Profile("dram"), 2)
        {
            Policy = EvictionPolicy.Create("bypassing", () => new BypassingPolicy { Bypass = true }), // puts land below
        });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Flash), remote.SlotCount)
        {
            Policy = EvictionPolicies.Clock,
            DeviceFactory = (_, _) => remote,
            WriteBehind = true,
        });
        using var store = new TieredKvStore(options);
        using var staged = new MetricCollector<long>(_meters, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.StagedHits);
        remote.Close();
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        WaitFor(() => remote.PendingWrites == 2, "both writes in flight at the gate");

        var buffer = new byte[TinyLayout.BytesPerBlock];
        Assert.True(store.TryGet(Key(0), buffer, out _, out int tier));
        Assert.Equal(1, tier);
        var destination = new byte[2 * TinyLayout.BytesPerBlock];
        Assert.Equal(2, await store.ReadBatchAsync(new[] { Key(0), Key(1) }, destination, new BlockRead[2])); // staged too
        Assert.Equal(3, store.GetStatistics().Tiers[1].StagedHits);

        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.True(store.TryGet(Key(1), buffer, out _, out tier)); // from the device now
        Assert.Equal(1, tier);

        TierStatistics stats = store.GetStatistics().Tiers[1];
        Assert.Equal(3, stats.StagedHits);
        Assert.Equal(4, stats.Hits);
        staged.RecordObservableInstruments();
        CollectedMeasurement<long> remoteTier = staged.GetMeasurementSnapshot()
            .Last(m => m.Tags.Any(t => t.Key == KvTieringDiagnostics.TierTag && (string?)t.Value == "remote"));
        Assert.Equal(3, remoteTier.Value);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public void Puts_of_blocks_already_resident_are_counted_apart_in_their_tier()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, MeterFactory = _meters };
        options.Tiers.Add(new TierOptions(Profile("dram"), 2) { Policy = EvictionPolicies.Clock }); // lock-free re-puts
        options.Tiers.Add(new TierOptions(Profile("lower"), 8) { Policy = EvictionPolicy.Lru });
        options.Promotion = PromotionMode.Never; // block 0 stays below while it is put again
        using var store = new TieredKvStore(options);
        using var puts = new MetricCollector<long>(_meters, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.ResidentPuts);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // 0-1 pushed down
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(3), BlockKey.Empty, Payload(3)));
        Assert.True(store.TryGet(Key(1), new byte[TinyLayout.BytesPerBlock], out _)); // a read: a hit, not a put

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((1L, 0L), (stats.Tiers[0].ResidentPuts, stats.Tiers[0].StagedHits));
        Assert.Equal((1L, 2L), (stats.Tiers[1].ResidentPuts, stats.Tiers[1].Hits));
        puts.RecordObservableInstruments();
        Assert.Equal(1, puts.GetMeasurementSnapshot()
            .Last(m => m.Tags.Any(t => t.Key == KvTieringDiagnostics.TierTag && (string?)t.Value == "lower")).Value);
    }
}
