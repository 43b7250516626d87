using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Store;
using KvTiering.Testing;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A router that starts after the publisher, or reconnects to a restarted one, while nothing is happening: it must
/// learn what the publisher holds from the replay socket, not wait for the next event, and apply each batch once.
/// </summary>
public sealed class LateSubscriberTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public void AFollowerStartedAfterAnIdlePublisherLearnsItsBlocksWithNoFurtherEvent()
    {
        using TieredKvStore store = TestStores.HbmOverDram(4, 8);
        VllmBlockHash[] chain = TestStores.Chain(6);
        TestStores.PutChain(store, chain); // 4 in HBM, the first 2 demoted to DRAM
        using var publisher = new ZmqKvEventPublisher(store, Options());
        Assert.True(publisher.Flush(Wait)); // published to nobody: only the replay buffer has it

        using var index = new ClusterPrefixIndex();
        int me = index.Follow("late", publisher.Endpoint, publisher.ReplayEndpoint);
        var result = new PrefixOverlap[1];
        ulong[] prompt = [.. chain.Select(h => h.EventHash)];
        Assert.True(SpinWait.SpinUntil(() => index.Match(prompt, result) == 1 && result[0].Blocks == 6, Wait),
            $"the late follower holds {index.HeldBy(me)} blocks of {store.Count}");
        Assert.Equal(new PrefixOverlap(me, 6, 4, 2, 0, 0), result[0]);
    }

    [Fact]
    public async Task AFollowerJoiningDuringTrafficAppliesEveryBatchOnce()
    {
        using TieredKvStore store = TestStores.HbmOverDram(4, 8);
        using var publisher = new ZmqKvEventPublisher(store, Options());
        using var stop = new CancellationTokenSource();
        Task traffic = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                TestStores.PutChain(store, TestStores.Chain(2, first: (i % 50) * 8)); // admissions, demotions, evictions
                Thread.Sleep(1);
            }
        });
        await Task.Delay(200); // batches already published when the subscriber starts, and more while it replays

        var held = new HashSet<(ulong, string?)>();
        var applied = 0L;
        // The batch is counted once it is applied, and the set is read under its lock: counted first, a subscriber
        // thread preempted mid-batch (past the 300 ms below, on a loaded machine) let the test read a half-applied set.
        using var subscriber = new ZmqKvEventSubscriber(publisher.Endpoint, publisher.ReplayEndpoint, "", batch =>
        {
            lock (held)
            {
                foreach (VllmKvEvent e in batch.Events)
                {
                    if (e.Kind == KvEventKind.AllCleared)
                    {
                        held.Clear();
                    }

                    foreach (ulong h in e.BlockHashes)
                    {
                        _ = e.Kind == KvEventKind.Stored ? held.Add((h, e.Medium)) : held.Remove((h, e.Medium));
                    }
                }
            }

            Interlocked.Increment(ref applied);
        }, () =>
        {
            lock (held)
            {
                held.Clear();
            }
        });
        await Task.Delay(500);
        stop.Cancel();
        await traffic;
        // Count the batches once the publisher is quiet: on a loaded machine the subscription can reach the XPUB socket
        // late, and its greeting (an empty batch, applied like any other) is then published after a first count.
        long published;
        do
        {
            Assert.True(publisher.Flush(Wait));
            published = publisher.BatchesPublished;
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref applied) >= published, Wait), $"applied {applied} of {published}");
            await Task.Delay(300); // a batch applied twice would have arrived by now
        }
        while (publisher.BatchesPublished != published);

        Assert.Equal(published, Interlocked.Read(ref applied)); // every batch, from the first, once
        Assert.Equal(0, subscriber.Resets);
        lock (held)
        {
            Assert.Equal(store.Count, held.Count); // the store's blocks, each in one tier
        }
    }

    [Fact]
    public void AFollowerReconnectingToARestartedIdlePublisherLearnsItsNewState()
    {
        using TieredKvStore store = TestStores.HbmOverDram(4, 8);
        VllmBlockHash[] first = TestStores.Chain(3);
        TestStores.PutChain(store, first);
        ZmqKvEventPublisherOptions options = null!;
        var publisher = StablePorts.Start(2, ports =>
        {
            options = new ZmqKvEventPublisherOptions { Endpoint = $"tcp://*:{ports[0]}", ReplayEndpoint = $"tcp://*:{ports[1]}" };
            return new ZmqKvEventPublisher(store, options);
        });
        string endpoint = publisher.Endpoint.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        string replay = publisher.ReplayEndpoint!.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        using var index = new ClusterPrefixIndex();
        int me = index.Follow("store", endpoint, replay);
        Assert.True(publisher.WaitForSubscriber(Wait));
        TestStores.PutChain(store, TestStores.Chain(1, first: 200)); // traffic: before the restart, even a gap shows the state
        Assert.True(SpinWait.SpinUntil(() => index.HeldBy(me) == store.Count, Wait), $"held {index.HeldBy(me)} before the restart");

        publisher.Dispose(); // the server goes down; its cache changes meanwhile, and nothing happens after it is back
        store.Remove(first[2].ToBlockKey());
        VllmBlockHash[] second = TestStores.Chain(2, first: 100);
        TestStores.PutChain(store, second);
        using var restarted = new ZmqKvEventPublisher(store, options);

        var result = new PrefixOverlap[1];
        Assert.True(SpinWait.SpinUntil(() => index.HeldBy(me) == store.Count
            && index.Match([.. second.Select(h => h.EventHash)], result) == 1 && result[0].Blocks == 2, Wait),
            $"after the restart: held {index.HeldBy(me)} of {store.Count}");
        Assert.Equal(1, index.Match([.. first.Select(h => h.EventHash)], result));
        Assert.Equal(2, result[0].Blocks); // the block removed while it was down is not reported
    }

    private static ZmqKvEventPublisherOptions Options() => new()
    {
        Endpoint = "tcp://127.0.0.1:*",
        ReplayEndpoint = "tcp://127.0.0.1:*",
    };
}
