using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Store;
using KvTiering.Tiers;
using KvTiering.Tests.Store;

namespace KvTiering.Tests.Events;

public sealed class KvEventFeedTests
{
    private static List<KvEvent> Drain(KvEventSubscription subscription)
    {
        var events = new List<KvEvent>();
        while (subscription.Reader.TryRead(out KvEvent e))
        {
            events.Add(e);
        }

        return events;
    }

    private static TieredKvStore TwoTiers()
    {
        var options = new KvStoreOptions { Layout = StoreTestKit.TinyLayout };
        options.Tiers.Add(new TierOptions(StoreTestKit.Profile("hbm", TierKind.Hbm), 2) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(StoreTestKit.Profile("dram", TierKind.Dram), 4) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    [Fact]
    public void AdmissionDemotionAndRemoval_AreEventsWithTierAndParent_NumberedWithoutHoles()
    {
        using TieredKvStore store = TwoTiers();
        using KvEventSubscription events = store.Events.Subscribe();
        store.Put(StoreTestKit.Key(0), BlockKey.Empty, StoreTestKit.Payload(0));
        store.Put(StoreTestKit.Key(1), StoreTestKit.Key(0), StoreTestKit.Payload(1));
        store.Put(StoreTestKit.Key(2), StoreTestKit.Key(1), StoreTestKit.Payload(2)); // demotes key 0 (LRU) to DRAM
        Assert.True(store.Remove(StoreTestKit.Key(2)));

        List<KvEvent> seen = Drain(events);
        Assert.Equal(Enumerable.Range(0, seen.Count).Select(i => (long)i), seen.Select(e => e.Sequence));
        Assert.Equal(
            [
                (KvEventKind.Stored, StoreTestKit.Key(0), 0),
                (KvEventKind.Stored, StoreTestKit.Key(1), 0),
                (KvEventKind.Removed, StoreTestKit.Key(0), 0),
                (KvEventKind.Stored, StoreTestKit.Key(0), 1),
                (KvEventKind.Stored, StoreTestKit.Key(2), 0),
                (KvEventKind.Removed, StoreTestKit.Key(2), 0),
            ],
            seen.Select(e => (e.Kind, e.Key, e.Tier)));
        Assert.Equal(StoreTestKit.Key(1), seen[4].Parent);
        Assert.Equal(TierKind.Dram, seen[3].Medium);
        Assert.Equal(TierKind.Hbm, seen[0].Medium);
        Assert.Equal(0, events.Dropped);
    }

    [Fact]
    public void SlowSubscriber_LosesEventsCounted_AndSeesTheGap_WhileTheStoreGoesOn()
    {
        using TieredKvStore store = TwoTiers();
        using KvEventSubscription slow = store.Events.Subscribe(capacity: 2);
        using KvEventSubscription fast = store.Events.Subscribe();
        for (int i = 0; i < 5; i++)
        {
            store.Put(StoreTestKit.Key(i), BlockKey.Empty, StoreTestKit.Payload(i));
        }

        long offered = Drain(fast).Count;
        Assert.Equal(offered, slow.Offered);
        Assert.Equal(offered - 2, slow.Dropped);
        Assert.Equal([0L, 1L], Drain(slow).Select(e => e.Sequence));

        store.Remove(StoreTestKit.Key(4));
        KvEvent next = Assert.Single(Drain(slow));
        Assert.Equal(offered, next.Sequence); // the gap tells the subscriber what it lost
    }

    [Fact]
    public void SnapshotSubscription_StartsWithClearThenEveryResidentBlock()
    {
        using TieredKvStore store = TwoTiers();
        for (int i = 0; i < 4; i++)
        {
            store.Put(StoreTestKit.Key(i), i == 0 ? BlockKey.Empty : StoreTestKit.Key(i - 1), StoreTestKit.Payload(i));
        }

        using KvEventSubscription events = store.Events.Subscribe(snapshot: true);
        List<KvEvent> seen = Drain(events);
        Assert.Equal(KvEventKind.AllCleared, seen[0].Kind);
        Assert.All(seen.Skip(1), e => Assert.Equal(KvEventKind.Stored, e.Kind));
        Assert.Equal(
            Enumerable.Range(0, 4).Select(i => (StoreTestKit.Key(i), store.TierOf(StoreTestKit.Key(i)))).OrderBy(k => k.Item1.Low),
            seen.Skip(1).Select(e => (e.Key, e.Tier)).OrderBy(k => k.Item1.Low));
        Assert.Equal(StoreTestKit.Key(2), seen.Single(e => e.Key == StoreTestKit.Key(3)).Parent);
    }

    [Fact]
    public void DisposedSubscription_GetsNothingMore_AndCompletes()
    {
        using TieredKvStore store = TwoTiers();
        KvEventSubscription events = store.Events.Subscribe();
        Assert.Equal(1, store.Events.SubscriberCount);
        events.Dispose();
        Assert.Equal(0, store.Events.SubscriberCount);
        store.Put(StoreTestKit.Key(0), BlockKey.Empty, StoreTestKit.Payload(0));
        Assert.False(events.Reader.TryRead(out _));
        Assert.True(events.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void Subscribe_RejectsAQueueWithNoRoom()
    {
        using TieredKvStore store = TwoTiers();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => store.Events.Subscribe(capacity: 0));
        Assert.Equal("capacity", ex.ParamName);
    }

    [Theory]
    [InlineData(TierKind.Hbm, "GPU")]
    [InlineData(TierKind.Sram, "GPU")]
    [InlineData(TierKind.Dram, "CPU")]
    [InlineData(TierKind.Flash, "DISK")]
    [InlineData(TierKind.Remote, "REMOTE")]
    public void Medium_NamesTiersAsVllmDoes(TierKind kind, string medium) => Assert.Equal(medium, KvEventMedium.Of(kind));
}
