using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.PrefetchAsync"/> into a full top tier whose victims go down to a device that declares
/// <see cref="IConcurrentWrites"/> (a remote tier, where each write is a round trip) keeps several of those demotion
/// writes in flight, and keeps every rule of the one-at-a-time demotion: a victim leaves its slot only once its write
/// landed, a failed write drops its victim counted, shutdown and cancellation wait for the writes in flight.
/// </summary>
/// <remarks>
/// Each test holds the writes at a gate and waits until the window is full, which the one-at-a-time path (a synchronous
/// write per victim) never reaches: so each fails without the window.
/// </remarks>
public sealed class DemotionWindowTests
{
    private const int Top = 12;
    private const int Below = 10;

    private static TieredKvStore Create(WindowedWriteDevice lower)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), Top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Remote), lower.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => lower,
        });
        return new TieredKvStore(options);
    }

    /// <summary>Blocks 0 to 9 on the lower tier, 10 to 21 filling the top one; the keys of 0 to 9.</summary>
    private static BlockKey[] Fill(TieredKvStore store)
    {
        for (int i = 0; i < Below + Top; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        var keys = new BlockKey[Below];
        for (int i = 0; i < Below; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(1, store.TierOf(Key(i)));
        }

        return keys;
    }

    /// <summary>Every block's tier first (a read promotes), then its bytes: no block lost, none with another's bytes.</summary>
    private static int[] AssertAllIntact(TieredKvStore store, params int[] gone)
    {
        var tiers = new int[Below + Top];
        for (int i = 0; i < tiers.Length; i++)
        {
            tiers[i] = store.TierOf(Key(i));
            Assert.True(gone.Contains(i) ? tiers[i] < 0 : tiers[i] >= 0, $"block {i} on tier {tiers[i]}");
        }

        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < tiers.Length; i++)
        {
            if (tiers[i] >= 0)
            {
                Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
                Assert.Equal(Payload(i), buffer.AsSpan(0, written).ToArray());
            }
        }

        return tiers;
    }

    [Fact]
    public async Task A_write_window_of_four_has_four_demotions_in_flight_and_every_block_lands_intact_in_order()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once");
        Assert.False(prefetch.IsCompleted);
        for (int i = 10; i < 14; i++)
        {
            Assert.Equal(0, store.TierOf(Key(i))); // each victim stays where it was until its write landed
        }

        lower.Open();

        Assert.Equal(Below, await prefetch);
        Assert.Equal(4, lower.MaxWritesInFlight);
        int[] tiers = AssertAllIntact(store);
        for (int i = 0; i < Below + Top; i++)
        {
            // The prefetched blocks up; the least recent others (10 to 19) down, as one demotion at a time would.
            Assert.Equal(i is >= 10 and < 20 ? 1 : 0, tiers[i]);
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_write_failing_among_many_drops_only_its_victim_counted_and_the_rest_land()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Fail(Key(12), io: true);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once, one of them failing");
        lower.Open();

        Assert.Equal(Below, await prefetch);
        Assert.Equal(1, store.GetStatistics().Tiers[1].WriteFailures);
        AssertAllIntact(store, gone: 12); // a demotion whose write failed drops its victim, as it always did
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_write_that_throws_something_else_leaves_its_victim_where_it_was_and_the_prefetch_throws_it()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Fail(Key(11), io: false);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once");
        lower.Open();

        await Assert.ThrowsAsync<InvalidOperationException>(() => prefetch);
        AssertAllIntact(store); // block 11 too: not dropped as a failed I/O would have been
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Cancelling_waits_for_the_writes_in_flight_and_loses_no_block()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Close();
        using var cts = new CancellationTokenSource();

        Task<int> prefetch = store.PrefetchAsync(keys, cts.Token);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once");
        cts.Cancel();
        await Task.Delay(100);
        Assert.False(prefetch.IsCompleted); // a write begun ends by its outcome, not by the token
        lower.Open();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prefetch);
        Assert.Equal(4, lower.LandedWrites);
        int[] tiers = AssertAllIntact(store);
        Assert.Equal(4, tiers.Skip(Below).Count(t => t == 1)); // the four victims whose writes were in flight moved down
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Dispose_during_the_window_waits_for_the_writes_in_flight_and_does_not_hang()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once");
        int landedAtDispose = -1;
        Task dispose = Task.Run(() =>
        {
            store.Dispose();
            landedAtDispose = lower.LandedWrites;
        });
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // the writes in flight hold it
        lower.Open();

        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, landedAtDispose);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => prefetch);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_victim_removed_while_its_write_is_in_flight_stays_removed_and_its_slot_below_goes_back()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 4, "four demotion writes in flight at once");
        Assert.True(store.Remove(Key(11))); // the remove wins over the move whose write is on the wire
        lower.Open();

        Assert.Equal(Below, await prefetch);
        Assert.Equal(-1, store.TierOf(Key(11)));
        // The lower tier counts exactly the blocks it holds: the slot reserved for the removed victim went back.
        int below = Enumerable.Range(0, Below + Top).Count(i => store.TierOf(Key(i)) == 1);
        Assert.Equal(below, store.GetStatistics().Tiers[1].ResidentBlocks);
        AssertAllIntact(store, gone: 11);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task The_window_never_exceeds_the_devices_write_window()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 2);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.PendingWrites == 2, "two demotion writes in flight at once");
        await Task.Delay(50);
        Assert.Equal(2, lower.PendingWrites);
        lower.Open();

        Assert.Equal(Below, await prefetch);
        Assert.Equal(2, lower.MaxWritesInFlight);
        AssertAllIntact(store);
    }

    [Fact]
    public async Task A_write_window_of_one_keeps_the_one_at_a_time_path()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 1);
        using TieredKvStore store = Create(lower);
        BlockKey[] keys = Fill(store);
        int before = lower.SyncWrites;

        Assert.Equal(Below, await store.PrefetchAsync(keys));

        Assert.Equal(0, lower.MaxWritesInFlight); // no write awaited: each victim written as before, one at a time
        Assert.Equal(Below, lower.SyncWrites - before);
        AssertAllIntact(store);
    }

    [Fact]
    public void A_write_window_out_of_range_is_refused_naming_the_tier()
    {
        var lower = new WindowedWriteDevice(8, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 0);

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => Create(lower));

        Assert.Contains("'remote'", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("WriteWindow 0", thrown.Message, StringComparison.Ordinal);
    }
}
