using System.Diagnostics;
using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.KvEvents;
using KvTiering.Store;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// Resyncs that end: a store holding more blocks than the pump's queue of live events (here 16) publishes its prompts
/// instead of resyncing forever; store traffic the pump cannot keep up with ends in following the store without a
/// snapshot (logged, <see cref="ServerKvEvents.Complete"/> false) and, once it has caught up, a snapshot again; and a
/// shutdown during resyncs is prompt.
/// </summary>
[Collection(StoreTrafficTests.Name)]
public sealed class ServerKvEventsBoundedResyncTests
{
    private const int Room = 16;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public void AStoreHoldingMoreBlocksThanTheQueuePublishesItsPromptsAndStopsResyncing()
    {
        using TieredKvStore store = SnapshotStore.Create(dram: 8, flash: 128);
        SnapshotStore.Fill(store, 100); // a snapshot of 101 events, six times the queue's room
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", ReplayEndpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        using var events = new ServerKvEvents(options, store, new BlockHasher(SnapshotStore.Layout), new EventIdLogger(), storeQueue: Room);
        using var index = new ClusterPrefixIndex();
        index.Follow("server", events.Endpoint, events.ReplayEndpoint);
        Assert.True(events.WaitForSubscriber(Wait));

        SnapshotStore.Save(store, events, 0);
        Assert.True(SpinWait.SpinUntil(() => SnapshotStore.Held(index, 0) == SnapshotStore.BlocksPerPrompt, Wait),
            $"prompt 0 never published: {SnapshotStore.Held(index, 0)} blocks held, {events.Resets} resyncs");
        long resets = events.Resets;
        Thread.Sleep(500); // with no store traffic, no resync either
        Assert.Equal(resets, events.Resets);
        Assert.True(events.Complete);
        Assert.Equal(SnapshotStore.BlocksPerPrompt, SnapshotStore.Held(index, 0));
    }

    [Fact]
    public void TrafficThePumpCannotFollowEndsInFollowingWithoutASnapshotThenASnapshotOnceCaughtUp()
    {
        using TieredKvStore store = SnapshotStore.Create(dram: 8, flash: 64);
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", ReplayEndpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        var log = new EventIdLogger();
        using var events = new ServerKvEvents(options, store, new BlockHasher(SnapshotStore.Layout), log, storeQueue: 4,
            window: TimeSpan.FromMilliseconds(500));
        using var index = new ClusterPrefixIndex();
        index.Follow("server", events.Endpoint, events.ReplayEndpoint);
        Assert.True(events.WaitForSubscriber(Wait));
        SnapshotStore.Save(store, events, 0);
        Assert.True(SpinWait.SpinUntil(() => SnapshotStore.Held(index, 0) == SnapshotStore.BlocksPerPrompt, Wait));

        for (int round = 0; events.Complete; round++) // far more traffic than the pump's queue takes, without a pause
        {
            Assert.True(round < 100_000, $"still taking snapshots after {events.Resets} resyncs");
            SnapshotStore.Churn(store, 200);
        }

        Assert.True(SpinWait.SpinUntil(() => log.Logged(305), Wait)); // the operator is told (logged just after the switch)
        Assert.True(SpinWait.SpinUntil(() => events.Complete && SnapshotStore.Held(index, 0) == SnapshotStore.BlocksPerPrompt, Wait),
            $"after the traffic: complete {events.Complete}, prompt 0 {SnapshotStore.Held(index, 0)} blocks");
    }

    [Fact]
    public async Task DisposeDuringResyncsIsPrompt()
    {
        using TieredKvStore store = SnapshotStore.Create(dram: 8, flash: 64);
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        var log = new EventIdLogger();
        var events = new ServerKvEvents(options, store, new BlockHasher(SnapshotStore.Layout), log, storeQueue: 4);
        using var stop = new CancellationTokenSource();
        Task churn = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                SnapshotStore.Churn(store, 50); // overflows the queue again and again
            }
        });
        Assert.True(SpinWait.SpinUntil(() => events.Resets >= 3, Wait), "no resync");

        var clock = Stopwatch.StartNew();
        events.Dispose(); // while the store's traffic goes on
        clock.Stop();
        stop.Cancel();
        await churn.WaitAsync(Wait);
        Assert.False(log.Logged(302), $"the pump did not finish: Dispose took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {clock.Elapsed.TotalSeconds:F1} s");
    }
}
