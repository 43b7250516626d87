using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class EventSinkTests
{
    /// <summary>Records every report as text, and the resident set it implies.</summary>
    private sealed class RecordingSink : IBlockEventSink
    {
        public List<string> Log { get; } = [];

        public HashSet<(BlockKey, int)> Resident { get; } = [];

        public void OnStored(in BlockKey key, in BlockKey parent, int tier)
        {
            Log.Add($"+{Name(key)}@{tier}<{Name(parent)}");
            Assert.True(Resident.Add((key, tier)));
        }

        public void OnRemoved(in BlockKey key, int tier)
        {
            Log.Add($"-{Name(key)}@{tier}");
            Assert.True(Resident.Remove((key, tier)));
        }

        public void OnCleared()
        {
            Log.Add("clear");
            Resident.Clear();
        }

        private static string Name(BlockKey key) => key.IsEmpty ? "root" : (key.Low - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Admission_demotion_promotion_remove_and_clear_are_reported_in_order()
    {
        using TieredKvStore store = Create(2, 4);
        var sink = new RecordingSink();
        store.EventSink = sink;

        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), Key(0), Payload(1));
        store.Put(Key(2), Key(1), Payload(2)); // demotes 0
        Assert.Equal(["+0@0<root", "+1@0<0", "-0@0", "+0@1<root", "+2@0<1"], sink.Log);

        sink.Log.Clear();
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out _)); // promotes 0, demoting 1
        Assert.Contains("-0@1", sink.Log);
        Assert.Contains("+0@0<root", sink.Log);
        Assert.Contains("-1@0", sink.Log);
        Assert.Contains("+1@1<0", sink.Log);

        store.Remove(Key(2));
        Assert.Equal("-2@0", sink.Log[^1]);
        Assert.Equal(2, sink.Resident.Count);

        store.Clear();
        Assert.Equal("clear", sink.Log[^1]);
        Assert.Equal(0, store.Count);
        Assert.False(store.TryGet(Key(0), buffer, out _));
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
    }

    [Fact]
    public void A_metadata_store_reports_too_and_the_sink_matches_the_store()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicy.Lru, 3, 3);
        var sink = new RecordingSink();
        store.EventSink = sink;
        var rng = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            int k = rng.Next(12);
            switch (rng.Next(3))
            {
                case 0:
                    store.Remove(Key(k));
                    break;
                default:
                    store.OfferRequest([Key(k), Key(k + 1)], session: k % 3);
                    break;
            }
        }

        Assert.Equal(store.Count, sink.Resident.Count);
        foreach ((BlockKey key, int tier) in sink.Resident)
        {
            Assert.Equal(tier, store.TierOf(key));
        }
    }

    [Fact]
    public void Null_restores_the_null_sink()
    {
        using TieredKvStore store = Create(2);
        store.EventSink = null!;
        Assert.Same(NullBlockEventSink.Instance, store.EventSink);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Clear();
        Assert.Equal(0, store.Count);
    }
}
