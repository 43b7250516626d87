using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>The lock-free top-tier hit: same answers, same statistics, same policy decisions as the locked path.</summary>
public sealed class OptimisticReadTests
{
    [Fact]
    public void Lock_free_hits_are_counted_exactly_in_the_statistics()
    {
        using var store = Create(8);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        var buffer = new byte[128];
        for (int i = 0; i < 5_000; i++)
        {
            Assert.True(store.TryGet(Key(1), buffer, out int written, out int tier));
            Assert.Equal(128, written);
            Assert.Equal(0, tier);
        }

        Assert.False(store.TryGet(Key(2), buffer, out _));
        var stats = store.GetStatistics();
        Assert.Equal(5_001, stats.Lookups);
        Assert.Equal(5_000, stats.Hits);
        Assert.Equal(5_000, stats.Tiers[0].Hits);
        Assert.Equal(5_000L * 128, stats.Tiers[0].BytesRead);
        Assert.Equal(Payload(1), buffer);
    }

    [Fact]
    public void Misses_from_many_threads_are_all_counted_and_leave_the_destination_alone()
    {
        using var store = Create(8);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var buffer = new byte[128];
            buffer.AsSpan().Fill(7);
            for (int i = 0; i < 10_000; i++)
            {
                Assert.False(store.TryGet(Key(100 + (i % 50)), buffer, out int written, out int tier));
                Assert.Equal(0, written);
                Assert.Equal(-1, tier);
            }

            Assert.All(buffer, b => Assert.Equal(7, b));
        });

        var stats = store.GetStatistics();
        Assert.Equal(40_000, stats.Lookups);
        Assert.Equal(40_000, stats.Misses);
        Assert.Equal(0, stats.Hits);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resident_puts_from_many_threads_are_counted_exactly_and_mark_the_block_used(bool metadataOnly)
    {
        // Clock keeps reference bits, so re-offering a resident block takes no lock; the counts must still be exact
        // and the offer must still protect the block from the next sweep.
        using var store = metadataOnly ? CreateMetadata(EvictionPolicies.Clock, 2) : Create(EvictionPolicies.Clock, 2);
        ReadOnlySpan<byte> one = metadataOnly ? default : Payload(1);
        store.Put(Key(1), BlockKey.Empty, one);
        store.Put(Key(2), BlockKey.Empty, metadataOnly ? default : Payload(2));
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            byte[] payload = metadataOnly ? [] : Payload(1);
            for (int i = 0; i < 10_000; i++)
            {
                Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(1), BlockKey.Empty, payload));
            }
        });

        var stats = store.GetStatistics();
        Assert.Equal(40_002, stats.Puts);
        Assert.Equal(40_000, stats.Tiers[0].Hits);
        Assert.Equal(0, stats.Lookups);

        store.Put(Key(3), BlockKey.Empty, metadataOnly ? default : Payload(3)); // the sweep spares 1, takes 2
        Assert.True(store.Contains(Key(1)));
        Assert.False(store.Contains(Key(2)));
    }

    [Fact]
    public void A_resident_put_with_a_new_session_or_labels_still_updates_the_block()
    {
        using var store = CreateMetadata(EvictionPolicies.Clock, 4);
        store.Put(Key(1), BlockKey.Empty, default, new BlockContext(0, Session: 7));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(1), BlockKey.Empty, default, new BlockContext(0, Session: 7)));
        Assert.Equal(7, store.Explain(Key(1)).Session);

        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(1), BlockKey.Empty, default, new BlockContext(0, Session: 9)));
        Assert.Equal(9, store.Explain(Key(1)).Session);
        Assert.Equal(3, store.GetStatistics().Puts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lock_free_hits_reach_the_policy_before_the_next_eviction(bool metadataOnly)
    {
        // LRU over two slots: A, B in; a hit on A (lock-free) must make B the victim when C arrives.
        using var store = metadataOnly ? CreateMetadata(EvictionPolicy.Lru, 2) : Create(2);
        byte[] Bytes(int i) => metadataOnly ? [] : Payload(i);
        var buffer = new byte[128];
        store.Put(Key(1), BlockKey.Empty, Bytes(1));
        store.Put(Key(2), BlockKey.Empty, Bytes(2));
        Assert.True(store.TryGet(Key(1), buffer, out _));
        store.Put(Key(3), BlockKey.Empty, Bytes(3));

        Assert.True(store.Contains(Key(1)));
        Assert.False(store.Contains(Key(2)));
        Assert.True(store.Contains(Key(3)));
    }

    [Fact]
    public void More_hits_than_the_queue_holds_still_all_reach_the_policy()
    {
        // 3,000 hits (the queue holds 1,024) spread so that the last touched block must survive and the
        // least recently touched one must go.
        using var store = CreateMetadata(EvictionPolicy.Lru, 100);
        for (int i = 0; i < 100; i++)
        {
            store.Put(Key(i), BlockKey.Empty, default);
        }

        for (int round = 0; round < 30; round++)
        {
            for (int i = 99; i >= 0; i--)
            {
                Assert.True(store.TryGet(Key(i), default, out _));
            }
        }

        store.Put(Key(1000), BlockKey.Empty, default);
        Assert.False(store.Contains(Key(99)));
        Assert.True(store.Contains(Key(0)));
        Assert.Equal(3_000, store.GetStatistics().Hits);
    }

    [Fact]
    public void A_short_destination_still_names_both_lengths()
    {
        using var store = Create(4);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        var ex = Assert.Throws<ArgumentException>(() => store.TryGet(Key(1), new byte[64], out _));
        Assert.Contains("64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("128", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readers_racing_dispose_get_the_right_bytes_or_an_ObjectDisposedException()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var store = Create(64);
            for (int i = 0; i < 64; i++)
            {
                store.Put(Key(i), BlockKey.Empty, Payload(i));
            }

            var expected = Enumerable.Range(0, 64).Select(i => Payload(i)).ToArray();
            using var start = new Barrier(3);
            string? failure = null;
            var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
            {
                var buffer = new byte[128];
                start.SignalAndWait();
                for (int n = 0; ; n++)
                {
                    int id = (n * 7 + r) % 64;
                    try
                    {
                        if (store.TryGet(Key(id), buffer, out int written) &&
                            (written != 128 || !buffer.AsSpan().SequenceEqual(expected[id])))
                        {
                            failure = $"key {id}: wrong bytes";
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            })).ToArray();

            Array.ForEach(readers, t => t.Start());
            start.SignalAndWait();
            Thread.SpinWait(2_000 * attempt);
            store.Dispose();
            Assert.All(readers, t => Assert.True(t.Join(TimeSpan.FromSeconds(30)), "a reader never saw the store disposed"));
            Assert.Null(failure);
        }
    }

    [Fact]
    public void A_block_demoted_while_readers_hit_it_is_served_from_its_new_tier_with_the_same_bytes()
    {
        using var store = Create(4, 64);
        var buffer = new byte[128];
        using var stop = new CancellationTokenSource();
        string? failure = null;
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (int id = 0; id < 64; id++)
                {
                    var local = new byte[128];
                    if (store.TryGet(Key(id), local, out int written) && !local.AsSpan(0, written).SequenceEqual(Payload(id)))
                    {
                        failure = $"key {id}: wrong bytes";
                    }
                }
            }
        });
        reader.Start();

        for (int round = 0; round < 200; round++)
        {
            int id = round % 64;
            store.Put(Key(id), BlockKey.Empty, Payload(id));
        }

        stop.Cancel();
        reader.Join();
        Assert.Null(failure);
        for (int id = 0; id < 64; id++)
        {
            Assert.True(store.TryGet(Key(id), buffer, out _));
            Assert.Equal(Payload(id), buffer);
        }
    }
}
