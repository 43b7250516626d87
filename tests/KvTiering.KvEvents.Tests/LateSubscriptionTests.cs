using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A subscriber whose subscription reaches the publisher long after its socket connected (and after both of its
/// replays were answered), while a batch goes out in between and the publisher then stays idle: it must still learn
/// that batch, without waiting for another one and without applying anything twice.
/// </summary>
public sealed class LateSubscriptionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the XPUB then passes a second subscription to the same topic on only because it is verbose
    public void ABatchPublishedBeforeALateSubscriptionLandsIsLearntWhileThePublisherStaysIdle(bool anotherSubscriber)
    {
        using TieredKvStore store = TestStores.HbmOverDram(8, 8);
        TestStores.PutChain(store, TestStores.Chain(3));
        using var publisher = new ZmqKvEventPublisher(store, new ZmqKvEventPublisherOptions
        {
            Endpoint = "tcp://127.0.0.1:*",
            ReplayEndpoint = "tcp://127.0.0.1:*",
        });
        Assert.True(publisher.Flush(Wait)); // the snapshot, to nobody: only the replay buffer has it
        using ZmqKvEventSubscriber? other = anotherSubscriber ? new(publisher.Endpoint, publisher.ReplayEndpoint, "", _ => { }, () => { }) : null;
        Assert.True(!anotherSubscriber || publisher.WaitForSubscriber(Wait));

        using var relay = new GatedRelay(new Uri(publisher.Endpoint).Port);
        var batches = new List<VllmEventBatch>();
        var resets = 0;
        using var subscriber = new ZmqKvEventSubscriber(relay.Endpoint, publisher.ReplayEndpoint, "", b =>
        {
            lock (batches)
            {
                batches.Add(b);
            }
        }, () => Interlocked.Increment(ref resets));
        Assert.True(SpinWait.SpinUntil(() => subscriber.Syncs >= 2, Wait), $"{subscriber.Syncs} replays"); // on connecting, and a second later
        Assert.Equal(1, relay.Accepted);

        VllmBlockHash[] late = TestStores.Chain(2, first: 100);
        TestStores.PutChain(store, late); // published while the subscription is still in the relay
        Assert.True(publisher.Flush(Wait));
        Thread.Sleep(200); // the batch is sent (to no one) before the subscription lands
        relay.Open();
        Assert.True(publisher.WaitForSubscriber(Wait));

        // Nothing else happens in the store. The subscriber must see the two blocks all the same.
        Assert.True(SpinWait.SpinUntil(() => Stored(batches).IsSupersetOf(late.Select(h => h.EventHash)), Wait),
            $"the late batch never arrived: {Stored(batches).Count} blocks stored, {publisher.BatchesPublished} batches published");
        Assert.True(SpinWait.SpinUntil(() => subscriber.Batches == publisher.BatchesPublished, Wait));
        Thread.Sleep(300); // a batch applied twice would have arrived by now
        Assert.Equal(publisher.BatchesPublished, subscriber.Batches); // each once
        Assert.Equal(0, resets);
        Assert.Equal(store.Count, Stored(batches).Count);
    }

    private static HashSet<ulong> Stored(List<VllmEventBatch> batches)
    {
        lock (batches)
        {
            var held = new HashSet<ulong>();
            foreach (VllmKvEvent e in batches.SelectMany(b => b.Events))
            {
                if (e.Kind == Events.KvEventKind.AllCleared)
                {
                    held.Clear();
                }

                foreach (ulong h in e.BlockHashes)
                {
                    _ = e.Kind == Events.KvEventKind.Stored ? held.Add(h) : held.Remove(h);
                }
            }

            return held;
        }
    }
}
