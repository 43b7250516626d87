using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A put's byte copies run outside the store's lock (issue #18: two writers must not convoy): the new block's copy and
/// a victim's copy one tier down. A gated device written for the tests holds a copy mid-way, so each test looks at the
/// store while a copy is in flight, waiting for the state the device reports, never for a sleep.
/// </summary>
public sealed class ReservedPutTests
{
    private static TieredKvStore Create(GatedDevice? top, GatedDevice? lower, int topCapacity = 4)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), top?.SlotCount ?? topCapacity)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = top is null ? null : (_, _) => top,
        });
        if (lower is not null)
        {
            options.Tiers.Add(new TierOptions(Profile("lower"), lower.SlotCount)
            {
                Policy = EvictionPolicy.Lru,
                DeviceFactory = (_, _) => lower,
            });
        }

        return new TieredKvStore(options);
    }

    [Fact]
    public async Task A_new_blocks_copy_runs_without_the_lock_and_the_block_is_invisible_until_published()
    {
        var top = new GatedDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top, lower: null);
        top.Close();
        Task<PutResult> put = Task.Run(() => store.Put(Key(1), BlockKey.Empty, Payload(1)));
        WaitFor(() => top.Waiting == 1);

        // Each of these takes the lock: they return while the put's copy is held mid-way.
        Assert.Equal(-1, store.TierOf(Key(1)));
        Assert.False(store.TryGet(Key(1), new byte[128], out _));
        Assert.Equal(0, store.MatchPrefix([Key(1)]).Blocks);
        Assert.False(store.Pin(Key(1)));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(1), BlockKey.Empty, Payload(1))); // the first put stores it
        Assert.Equal(0, store.GetStatistics().Tiers[0].ResidentBlocks + top.Writes);

        top.Open();
        Assert.Equal(PutResult.Stored, await put);
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(1), buffer, out int written, out int tier));
        Assert.Equal(0, tier);
        Assert.Equal(Payload(1), buffer[..written]);
        Assert.Empty(top.Violations);
    }

    [Fact]
    public async Task A_remove_during_the_copy_wins_and_the_slot_goes_back()
    {
        var top = new GatedDevice(2, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top, lower: null);
        top.Close();
        Task<PutResult> put = Task.Run(() => store.Put(Key(1), BlockKey.Empty, Payload(1)));
        WaitFor(() => top.Waiting == 1);
        Assert.True(store.Remove(Key(1)));
        top.Open();
        Assert.Equal(PutResult.Stored, await put); // stored, then removed: the later Remove wins
        Assert.Equal(-1, store.TierOf(Key(1)));

        // Both slots are free again: two new blocks fit without an eviction.
        Assert.Equal(PutResult.Stored, store.Put(Key(2), BlockKey.Empty, Payload(2)));
        Assert.Equal(PutResult.Stored, store.Put(Key(3), BlockKey.Empty, Payload(3)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(2, stats.Tiers[0].ResidentBlocks);
        Assert.Equal(0, stats.Tiers[0].Evictions + stats.Tiers[0].Demotions);
        Assert.Empty(top.Violations);
    }

    [Fact]
    public async Task A_victim_stays_readable_while_its_copy_one_tier_down_runs_without_the_lock()
    {
        var lower = new GatedDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top: null, lower, topCapacity: 2);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        lower.Close();
        Task<PutResult> put = Task.Run(() => store.Put(Key(2), BlockKey.Empty, Payload(2))); // block 0 must move down first
        WaitFor(() => lower.Waiting == 1);

        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier)); // from its source slot, mid-move
        Assert.Equal(0, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(-1, store.TierOf(Key(2)));
        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(1), BlockKey.Empty, Payload(1))); // takes the lock meanwhile

        lower.Open();
        Assert.Equal(PutResult.Stored, await put);
        Assert.Equal(0, store.TierOf(Key(2)));
        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(1, store.GetStatistics().Tiers[0].Demotions);
        Assert.True(store.TryGet(Key(0), buffer, out written)); // from the lower tier's copy
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_remove_of_the_victim_during_its_copy_wins_and_the_lower_slot_goes_back()
    {
        var lower = new GatedDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top: null, lower, topCapacity: 2);
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        lower.Close();
        Task<PutResult> put = Task.Run(() => store.Put(Key(2), BlockKey.Empty, Payload(2)));
        WaitFor(() => lower.Waiting == 1);
        Assert.True(store.Remove(Key(0)));
        Assert.False(store.TryGet(Key(0), new byte[128], out _));

        lower.Open();
        Assert.Equal(PutResult.Stored, await put);
        Assert.Equal(-1, store.TierOf(Key(0)));
        Assert.Equal(0, store.TierOf(Key(2)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((2, 0, 0), (stats.Tiers[0].ResidentBlocks, stats.Tiers[1].ResidentBlocks, stats.Tiers[0].Demotions));
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Two_writers_copy_at_once()
    {
        var top = new GatedDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top, lower: null);
        top.Close();
        Task<PutResult> first = Task.Run(() => store.Put(Key(1), BlockKey.Empty, Payload(1)));
        Task<PutResult> second = Task.Run(() => store.Put(Key(2), BlockKey.Empty, Payload(2)));
        WaitFor(() => top.Waiting == 2); // both copies in flight together: neither holds the lock

        top.Open();
        Assert.Equal((PutResult.Stored, PutResult.Stored), (await first, await second));
        Assert.Equal((0, 0), (store.TierOf(Key(1)), store.TierOf(Key(2))));
        Assert.Empty(top.Violations);
    }
    [Fact]
    public async Task A_remove_during_a_promotions_copy_wins_and_the_hit_still_returns_the_bytes()
    {
        var top = new GatedDevice(2, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), 2) { Policy = EvictionPolicy.Lru, DeviceFactory = (_, _) => top });
        options.Tiers.Add(new TierOptions(Profile("lower"), 8) { Policy = EvictionPolicy.Lru });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // block 0 ends up one tier down
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        top.Close();
        var buffer = new byte[128];
        Task<(bool Hit, int Written)> get = Task.Run(() => (store.TryGet(Key(0), buffer, out int n), n)); // promotes block 0
        WaitFor(() => top.Waiting == 1);
        Assert.Equal(1, store.TierOf(Key(0))); // still where it was, and readable there
        Assert.True(store.TryGet(Key(0), new byte[128], out _, out int servedFrom));
        Assert.Equal(1, servedFrom);
        Assert.True(store.Remove(Key(0)));

        top.Open();
        (bool hit, int written) = await get;
        Assert.True(hit);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.Equal(-1, store.TierOf(Key(0))); // the Remove won; the promotion's slot went back
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Tiers[0].ResidentBlocks); // block 2 (block 1 moved down to make room for the promotion)
        Assert.Equal(1, stats.Tiers[1].ResidentBlocks); // block 1
        Assert.Equal(0, stats.Tiers[1].Promotions);
        Assert.Empty(top.Violations);
    }
}
