using KvTiering.Blocks;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static KvTiering.Redis.Tests.RedisTestKit;

namespace KvTiering.Redis.Tests;

/// <summary>Each test owns its server, so it can kill and restart it.</summary>
public sealed class FaultTests
{
    [Fact]
    public void KillingTheServerMidRunDegradesToMissesAndRecoversAfterRestart()
    {
        using var server = new GarnetTestServer();
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using TieredKvStore store = NewStore(connection, options, 2, 32, out RedisBlockDevice device);
        BlockKey[] chain = Chain(12, seed: 1);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        Assert.Equal(4, device.GetStatistics().Writes);
        server.Stop();

        // Blocks in memory still hit; blocks on the dead server miss; nothing throws.
        var buffer = new byte[BlockBytes];
        var hits = new List<int>();
        for (int i = 0; i < 6; i++)
        {
            if (store.TryGet(chain[i], buffer, out int written))
            {
                Assert.Equal(Payload(i), buffer[..written]);
                hits.Add(i);
            }
        }

        Assert.Equal([4, 5], hits);
        Assert.False(device.IsAvailable);

        // Demotions into the dead tier are not tried (the device says it cannot take writes): each victim leaves the
        // store, counted as an eviction and an unreachable write; puts still succeed into memory.
        for (int i = 6; i < 12; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(chain[i], ParentOf(chain, i), Payload(i)));
        }

        // The four blocks on the dead server stay where they are (a server down for a moment most likely still has
        // them); each read of one is a miss counted as unreachable, not a drop.
        Assert.Equal(4, store.MatchPrefix(chain).Blocks);
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((6L, 0L), (stats.Tiers[1].UnreachableWrites, stats.Tiers[1].WriteFailures)); // before ack29: (0, 6)
        Assert.Equal((6L, 4L), (stats.Tiers[0].Evictions, stats.Tiers[0].Demotions)); // the 4 demotions are from before the stop
        Assert.Equal(4, stats.Tiers[1].ResidentBlocks);
        Assert.Equal(4, stats.Tiers[1].UnreachableReads);
        RedisTierStatistics down = device.GetStatistics();
        Assert.Equal(0, down.DroppedWrites); // none sent to the dead server (before ack29: 6, each after a Stored put)
        Assert.True(down.SkippedWhileUnavailable > 0);
        Assert.True(down.Faults >= 1);
        Assert.Equal(4, down.Writes);

        // The restarted server is empty. Once the connection is back and the back-off has passed, demotions land again.
        server.Start();
        BlockKey[] later = Chain(200, seed: 2);
        int put = 0;
        Assert.True(Eventually(time, () =>
        {
            store.Put(later[put], ParentOf(later, put), Payload(put));
            put++;
            return device.GetStatistics().Writes > 4;
        }, tries: later.Length));
        Assert.True(device.IsAvailable);
        Assert.True(device.CanWriteNow);

        // The restarted server is empty: the old chain's kept blocks now read as lost, and go.
        BlockKey[] kept = chain.Take(4).Where(k => store.TierOf(k) == 1).ToArray();
        Assert.NotEmpty(kept);
        long lost = store.GetStatistics().Tiers[1].LostBlocks;
        foreach (BlockKey k in kept)
        {
            Assert.False(store.TryGet(k, buffer, out _));
            Assert.False(store.Contains(k));
        }

        Assert.Equal(lost + kept.Length, store.GetStatistics().Tiers[1].LostBlocks);

        // The block just demoted is served by the server. Which block that is depends on how fast the connection came
        // back: the old chain's last two (demoted by the first new puts) or a new one.
        (BlockKey Key, int Index) demoted = chain.Select((k, i) => (k, i)).Concat(later.Take(put).Select((k, i) => (k, i)))
            .First(b => store.TierOf(b.Item1) == 1);
        Assert.True(store.TryGet(demoted.Key, buffer, out int back, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(demoted.Index), buffer[..back]);
    }

    [Fact]
    public void DeviceBacksOffDoublingAndProbesAfterEachBackoff()
    {
        using var server = new GarnetTestServer();
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using var device = new RedisBlockDevice(connection, options, 4, BlockBytes);
        BlockKey key = Chain(1, seed: 3)[0];
        server.Stop();
        WaitUntilDisconnected(connection);

        Assert.Throws<IOException>(() => device.Write(0, key, Hasher.Root, Payload(0)));
        Assert.False(device.IsAvailable);
        Assert.False(device.CanWriteNow); // the store places no write here meanwhile
        long faults = device.GetStatistics().Faults;

        // Within the back-off nothing reaches the network: calls answer at once and no new fault is recorded.
        Assert.Equal(-1, device.TryFetch(key, new byte[BlockBytes], out _, out _));
        Assert.Equal(0, device.MatchPrefix([key]));
        Assert.Equal(faults, device.GetStatistics().Faults);

        time.Advance(options.Backoff);
        Assert.True(device.IsAvailable);
        Assert.False(device.CanWriteNow); // the back-off is over, but the connection still has no server
        Assert.Equal(-1, device.TryFetch(key, new byte[BlockBytes], out _, out _)); // the probe fails: twice the back-off
        Assert.Equal(faults + 1, device.GetStatistics().Faults);
        time.Advance(options.Backoff);
        Assert.False(device.IsAvailable);
        time.Advance(options.Backoff);
        Assert.True(device.IsAvailable);
    }

    [Fact]
    public void DeviceCreatedWhileTheServerIsDownStartsUnavailableAndRecovers()
    {
        using var server = new GarnetTestServer();
        server.Stop();
        var time = new FakeTimeProvider();
        RedisTierOptions options = Options(server, time);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(200);
        using RedisBlockDevice device = RedisBlockDevice.Connect(options, 4, BlockBytes);
        BlockKey key = Chain(1, seed: 4)[0];

        Assert.Equal(-1, device.TryFetch(key, new byte[BlockBytes], out _, out _));
        Assert.Throws<IOException>(() => device.Write(0, key, Hasher.Root, Payload(0)));

        server.Start();
        Assert.True(Eventually(time, () =>
        {
            try
            {
                device.Write(0, key, Hasher.Root, Payload(0));
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }));
        Assert.Equal(Payload(0).Length, device.Read(0, key, new byte[BlockBytes]));
    }

    [Fact]
    public void A_restored_connection_ends_the_back_off_so_the_next_write_lands()
    {
        // The agent server logs "is back" when the connection is restored, but the tier went on turning writes away
        // until its back-off (doubled through the outage, up to MaxBackoff) ran out: the remote drill's part 4 lost
        // the first save after "is back" that way (a snapshot larger than DRAM and flash needs its remote tier).
        using var server = new GarnetTestServer();
        var time = new FakeTimeProvider(); // never advanced: only the restored connection can end the back-off
        RedisTierOptions options = Options(server, time);
        using ConnectionMultiplexer connection = RedisTier.Connect(options);
        using var device = new RedisBlockDevice(connection, options, 4, BlockBytes);
        BlockKey key = Chain(1, seed: 5)[0];
        server.Stop();
        WaitUntilDisconnected(connection);
        Assert.Throws<IOException>(() => device.Write(0, key, Hasher.Root, Payload(0)));
        Assert.False(device.IsAvailable);

        server.Start();
        for (int i = 0; i < 500 && !(connection.IsConnected && device.IsAvailable); i++)
        {
            Thread.Sleep(20);
        }

        Assert.True(connection.IsConnected, "the connection came back within 10 s");
        Assert.True(device.IsAvailable, "the restored connection ended the back-off");
        device.Write(0, key, Hasher.Root, Payload(0));
        Assert.Equal(Payload(0).Length, device.Read(0, key, new byte[BlockBytes]));
    }

    private static void WaitUntilDisconnected(ConnectionMultiplexer connection)
    {
        for (int i = 0; i < 200 && connection.IsConnected; i++)
        {
            Thread.Sleep(20);
        }
    }
}
