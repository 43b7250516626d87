using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Eviction.PolicyTestKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

public sealed class ClockPolicyTests
{
    [Fact]
    public void A_block_hit_since_the_scan_passed_gets_a_second_chance()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Clock, 3);
        Put(store, 0, session: 1);
        Put(store, 1, session: 2);
        Put(store, 2, session: 3);
        Assert.True(store.TryGet(Key(0), default, out _)); // 0 is the oldest, but referenced

        Put(store, 3, session: 4);
        Assert.Equal([true, false, true, true], Resident(store, 4));

        // 0's bit was cleared when the scan passed it, so without another hit it is an ordinary block again: the scan
        // now starts at 2 (the oldest), and 0, requeued at the head, outlives it.
        Put(store, 4, session: 5);
        Assert.Equal([true, false, false, true, true], Resident(store, 5));
        Put(store, 5, session: 6);
        Put(store, 6, session: 7);
        Assert.Equal([false, false, false, false, true, true, true], Resident(store, 7));
    }

    [Fact]
    public void A_request_leaves_deepest_first_even_after_its_head_was_hit()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Clock, 5);
        Request(store, session: 1, 0, 1, 2, 3);
        Assert.Equal(4, Request(store, session: 1, 0, 1, 2, 3)); // every block referenced
        Put(store, 10, session: 2);                               // fills the tier
        Put(store, 11, session: 3);                               // the chain is requeued deepest-first; 10 goes
        Assert.True(store.Contains(Key(11)));
        Assert.False(store.Contains(Key(10)));

        // With the bits spent, the next two arrivals take the chain's tip, never its head.
        Put(store, 12, session: 4);
        Put(store, 13, session: 5);
        Assert.Equal([true, true, false, false], Resident(store, 4));
    }

    [Fact]
    public void New_blocks_after_a_hit_prefix_stay_together_at_the_head()
    {
        // Session 1's second request hits 0–1 (bits only, no move) and adds 2–3: those must not be filed behind the
        // first request's tip, which by now lies behind session 2's blocks.
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Clock, 6);
        Request(store, session: 1, 0, 1);
        Request(store, session: 2, 20, 21);
        Request(store, session: 1, 0, 1, 2, 3);

        Put(store, 30, session: 3); // the scan requeues 1 and 0, then takes 21, then 20
        Put(store, 31, session: 4);
        Assert.False(store.Contains(Key(20)) || store.Contains(Key(21)));
        Assert.Equal([true, true, true, true], Resident(store, 4));
    }

    [Fact]
    public void A_pinned_block_is_passed_over_and_keeps_its_bit()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Clock, 2);
        Put(store, 0, session: 1);
        Put(store, 1, session: 2);
        Assert.True(store.TryGet(Key(0), default, out _));
        Assert.True(store.Pin(Key(0)));
        Put(store, 2, session: 3); // 0 is the oldest but pinned: 1 goes
        Assert.Equal([true, false, true], Resident(store, 3));

        Assert.True(store.Unpin(Key(0)));
        Put(store, 3, session: 4); // 0, oldest again, still has its bit: 2 goes instead
        Assert.Equal([true, false, false, true], Resident(store, 4));
    }

    [Fact]
    public void Lock_free_hits_set_the_bit_and_are_counted_exactly_with_the_locked_paths_costs()
    {
        using TieredKvStore clock = Create(EvictionPolicies.Clock, 2);
        using TieredKvStore lru = Create(EvictionPolicy.Lru, 2);
        var buffer = new byte[128];
        foreach (TieredKvStore store in new[] { clock, lru })
        {
            store.Put(Key(1), BlockKey.Empty, Payload(1));
            store.Put(Key(2), BlockKey.Empty, Payload(2));
            for (int i = 0; i < 3_000; i++)
            {
                Assert.True(store.TryGet(Key(1 + (i % 2)), buffer, out int written));
                Assert.Equal(128, written);
                Assert.Equal(Payload(1 + (i % 2)), buffer);
            }

            Assert.True(store.TryGet(Key(1), buffer, out _)); // 1 was hit last, so both bits are set
            store.Put(Key(3), BlockKey.Empty, Payload(3));
        }

        var c = clock.GetStatistics();
        var l = lru.GetStatistics();
        Assert.Equal(l.Lookups, c.Lookups);
        Assert.Equal(l.Hits, c.Hits);
        Assert.Equal(3_001, c.Tiers[0].Hits);
        Assert.Equal(l.Tiers[0].BytesRead, c.Tiers[0].BytesRead);
        Assert.Equal(l.Tiers[0].ModeledSeconds, c.Tiers[0].ModeledSeconds, 1e-12);
        Assert.Equal(l.Tiers[0].ModeledJoules, c.Tiers[0].ModeledJoules, 1e-15);

        // Both blocks were referenced: the scan clears 1's bit and 2's, comes round to 1 and evicts it (CLOCK's
        // FIFO order among referenced blocks), where LRU evicts 2, the less recently used.
        Assert.False(clock.Contains(Key(1)));
        Assert.True(clock.Contains(Key(2)));
        Assert.True(lru.Contains(Key(1)));
        Assert.False(lru.Contains(Key(2)));
    }

    [Fact]
    public void Hits_from_many_threads_are_all_counted()
    {
        using TieredKvStore store = CreateMetadata(EvictionPolicies.Clock, 64);
        for (int i = 0; i < 64; i++)
        {
            Put(store, i);
        }

        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                Assert.True(store.TryGet(Key((i + t) % 64), default, out _));
            }
        });

        var stats = store.GetStatistics();
        Assert.Equal(80_000, stats.Hits);
        Assert.Equal(80_000, stats.Tiers[0].Hits);
        Assert.Equal(stats.Hits, stats.Lookups);
    }
}
