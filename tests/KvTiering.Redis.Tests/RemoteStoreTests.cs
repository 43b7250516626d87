using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Store;
using KvTiering.Tests.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>Stores whose lowest tier is the shared server.</summary>
public sealed class RemoteStoreTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void DemotedBlocksComeBackFromTheServer()
    {
        using TieredKvStore store = NewStore(fixture.Connection, Options(fixture.Server), 2, 32, out RedisBlockDevice device);
        BlockKey[] chain = Chain(8, seed: 1);
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        Assert.Equal(6, device.GetStatistics().Writes);
        Assert.Equal(1, store.TierOf(chain[0]));
        var buffer = new byte[BlockBytes];
        for (int i = 0; i < chain.Length; i++)
        {
            Assert.True(store.TryGet(chain[i], buffer, out int written));
            Assert.Equal(Payload(i), buffer[..written]);
        }

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(8, stats.Hits);
        Assert.True(stats.Tiers[1].Hits >= 6);
    }

    [Fact]
    public void SecondStoreServesTheFirstStoresSession()
    {
        RedisTierOptions shared = Options(fixture.Server, ns: Hasher.Root.ToString());
        shared.Namespace += Guid.NewGuid().ToString("N"); // isolate this test's run
        BlockKey[] session = Chain(8, seed: 2);
        using (TieredKvStore first = NewStore(fixture.Connection, shared, 1, 32, out _))
        {
            for (int i = 0; i < session.Length; i++)
            {
                first.Put(session[i], ParentOf(session, i), Payload(i));
            }

            first.Put(Chain(1, seed: 99)[0], Hasher.Root, Payload(99)); // pushes the session's last block down
        }

        using TieredKvStore second = NewStore(fixture.Connection, shared, 4, 32, out RedisBlockDevice device);
        var tiers = new int[session.Length];
        PrefixMatch match = second.MatchPrefix(session, tiers);
        Assert.Equal(8, match.Blocks);
        Assert.Equal(8, match.BlocksInTier(1));
        Assert.All(tiers, t => Assert.Equal(1, t));
        Assert.Equal(1, device.GetStatistics().PrefixQueries);

        var buffer = new byte[BlockBytes];
        for (int i = 0; i < session.Length; i++)
        {
            Assert.True(second.TryGet(session[i], buffer, out int written, out int servedFrom));
            Assert.Equal(Payload(i), buffer[..written]);
            Assert.Equal(1, servedFrom);
        }

        Assert.Equal(8, second.GetStatistics().Hits);
        Assert.Equal(8, device.GetStatistics().FetchHits);
        Assert.Equal(0, second.TierOf(session[7])); // adopted into the top tier like a put
        Assert.Equal(8, second.Count);

        // The adopted blocks are local now: a second read needs no fetch.
        Assert.True(second.TryGet(session[7], buffer, out _));
        Assert.Equal(8, device.GetStatistics().Fetches);
    }

    [Fact]
    public void PrefixMatchMixesLocalAndSharedBlocks()
    {
        RedisTierOptions options = Options(fixture.Server);
        BlockKey[] chain = Chain(6, seed: 3);
        using TieredKvStore writer = NewStore(fixture.Connection, options, 1, 32, out _);
        for (int i = 0; i < 4; i++)
        {
            writer.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        writer.Put(Chain(1, seed: 98)[0], Hasher.Root, Payload(98));
        using TieredKvStore reader = NewStore(fixture.Connection, options, 8, 32, out _);
        reader.Put(chain[0], Hasher.Root, Payload(0));
        reader.Put(chain[4], chain[3], Payload(4));

        var tiers = new int[6];
        PrefixMatch match = reader.MatchPrefix(chain, tiers);
        Assert.Equal(5, match.Blocks);
        Assert.Equal(2, match.BlocksInTier(0));
        Assert.Equal(3, match.BlocksInTier(1));
        Assert.Equal([0, 1, 1, 1, 0], tiers[..5]);
    }

    [Fact]
    public void WithoutPromotionASharedHitIsServedButNotAdopted()
    {
        RedisTierOptions options = Options(fixture.Server);
        BlockKey key = Chain(1, seed: 4)[0];
        using (RedisBlockDevice writer = new(fixture.Connection, options, 1, BlockBytes))
        {
            writer.Write(0, key, Hasher.Root, Payload(0));
        }

        using TieredKvStore store = NewStore(fixture.Connection, options, 2, 8, out _, PromotionMode.Never);
        Assert.True(store.TryGet(key, new byte[BlockBytes], out int written, out int tier));
        Assert.Equal(Payload(0).Length, written);
        Assert.Equal(1, tier);
        Assert.False(store.Contains(key));
    }

    [Fact]
    public void CorruptedBlockIsAMissCountedByStoreAndDevice()
    {
        using TieredKvStore store = NewStore(fixture.Connection, Options(fixture.Server), 1, 8, out RedisBlockDevice device);
        BlockKey[] chain = Chain(2, seed: 5);
        store.Put(chain[0], Hasher.Root, Payload(0));
        store.Put(chain[1], chain[0], Payload(1));
        Assert.Equal(1, store.TierOf(chain[0]));
        byte[] value = fixture.Database.StringGet(device.ServerKey(chain[0]))!;
        value[^1] ^= 1;
        fixture.Database.StringSet(device.ServerKey(chain[0]), value);

        Assert.False(store.TryGet(chain[0], new byte[BlockBytes], out _));
        Assert.Equal(1, store.GetStatistics().Tiers[1].ChecksumFailures);
        Assert.Equal(1, device.GetStatistics().ChecksumFailures);
        Assert.False(store.Contains(chain[0]));

        // The bad value was deleted: the next lookup misses locally, and its fetch from the server finds nothing.
        Assert.False(store.TryGet(chain[0], new byte[BlockBytes], out _));
        Assert.Equal(1, device.GetStatistics().Fetches);
        Assert.Equal(0, device.GetStatistics().FetchHits);
    }

    [Fact]
    public void BlocksTheServerEvictedLeaveTheTierOnTheirNextRead()
    {
        using TieredKvStore store = NewStore(fixture.Connection, Options(fixture.Server), 1, 8, out RedisBlockDevice device);
        BlockKey[] chain = Chain(4, seed: 6);
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        Assert.Equal(3, store.GetStatistics().Tiers[1].ResidentBlocks);
        fixture.Database.KeyDelete(device.ServerKey(chain[0]));
        fixture.Database.KeyDelete(device.ServerKey(chain[1]));

        var buffer = new byte[BlockBytes];
        Assert.False(store.TryGet(chain[0], buffer, out _));
        Assert.False(store.TryGet(chain[1], buffer, out _));
        Assert.True(store.TryGet(chain[2], buffer, out _));
        Assert.Equal(2, device.GetStatistics().Vanished);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void TheStoresMeterCountsWhatTheServerLostAndAForgeryPerTier()
    {
        using var meters = new TestMeterFactory();
        using var faults = new MetricCollector<long>(meters, KvTieringDiagnostics.MeterName, KvTieringDiagnostics.TierFaults);
        using TieredKvStore store = NewStore(fixture.Connection, Options(fixture.Server), 1, 8, out RedisBlockDevice device,
            meters: meters);
        BlockKey[] chain = Chain(3, seed: 7);
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i], ParentOf(chain, i), Payload(i));
        }

        // One block the server dropped, one whose bytes someone overwrote: both misses, both counted by kind.
        fixture.Database.KeyDelete(device.ServerKey(chain[0]));
        fixture.Database.StringSet(device.ServerKey(chain[1]), new byte[BlockBytes]);
        var buffer = new byte[BlockBytes];
        Assert.False(store.TryGet(chain[0], buffer, out _));
        Assert.False(store.TryGet(chain[1], buffer, out _));

        faults.RecordObservableInstruments();
        var seen = faults.GetMeasurementSnapshot()
            .Where(m => (string?)m.Tags[KvTieringDiagnostics.TierTag] == store.GetStatistics().Tiers[1].Name)
            .ToDictionary(m => (string)m.Tags[KvTieringDiagnostics.FaultTag]!, m => m.Value);
        Assert.Equal(1, seen["vanished"]);
        Assert.Equal(1, seen["checksum"]);
        Assert.Equal(0, seen["authentication"]);
        Assert.Equal(0, seen["connection"]);
    }
}
