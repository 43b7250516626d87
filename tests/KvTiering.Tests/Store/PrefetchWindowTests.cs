using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.PrefetchAsync"/> keeps several reads in flight on a tier whose device declares
/// <see cref="IConcurrentReads"/> (a remote tier, where each read is a round trip), and keeps every invariant of the
/// one-at-a-time prefetch: order and budget, cancellation, failed reads, and entries that change while read.
/// </summary>
public sealed class PrefetchWindowTests
{
    private static TieredKvStore Create(WindowedDevice lower, int topCapacity)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), topCapacity) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Remote), lower.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => lower,
        });
        return new TieredKvStore(options);
    }

    /// <summary>Puts blocks 0 to <paramref name="below"/> + top - 1: the first <paramref name="below"/> lie in the lower tier.</summary>
    private static BlockKey[] Fill(TieredKvStore store, int below, int top)
    {
        for (int i = 0; i < below + top; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        var keys = new BlockKey[below];
        for (int i = 0; i < below; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(1, store.TierOf(Key(i)));
        }

        return keys;
    }

    private static void AssertBytes(TieredKvStore store, int i, byte[] expected)
    {
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
        Assert.Equal(expected, buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public async Task A_window_of_four_has_four_reads_in_flight_and_every_block_moves_up_intact()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 4);
        using TieredKvStore store = Create(lower, topCapacity: 12);
        BlockKey[] keys = Fill(store, below: 10, top: 12);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.Pending == 4, "four reads in flight at once");
        Assert.False(prefetch.IsCompleted);
        lower.Open();

        Assert.Equal(10, await prefetch);
        Assert.Equal(4, lower.MaxInFlight);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(0, store.TierOf(Key(i)));
            AssertBytes(store, i, Payload(i));
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_window_of_one_reads_one_block_at_a_time()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 1) { Delay = TimeSpan.FromMilliseconds(2) };
        using TieredKvStore store = Create(lower, topCapacity: 12);
        BlockKey[] keys = Fill(store, below: 8, top: 12);

        Assert.Equal(8, await store.PrefetchAsync(keys));

        Assert.Equal(1, lower.MaxInFlight);
    }

    [Fact]
    public async Task Reads_that_end_out_of_order_still_move_the_first_blocks_and_only_as_many_as_the_top_tier_holds()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 8) { Stagger = TimeSpan.FromMilliseconds(15) };
        using TieredKvStore store = Create(lower, topCapacity: 4);
        BlockKey[] keys = Fill(store, below: 10, top: 4);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        // The budget (the top tier's 4 blocks) bounds the window too: no read is sent for a block that cannot move.
        WaitFor(() => lower.Pending == 4, "the budget's four reads in flight");
        lower.Open();

        Assert.Equal(4, await prefetch);
        Assert.Equal(4, lower.MaxInFlight);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i < 4 ? 0 : 1, store.TierOf(Key(i))); // the first four, whatever order their reads ended in
            AssertBytes(store, i, Payload(i));
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Cancelling_mid_window_cancels_every_read_and_leaves_no_slot_held()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 4);
        using TieredKvStore store = Create(lower, topCapacity: 12);
        BlockKey[] keys = Fill(store, below: 10, top: 12);
        lower.Close();
        using var cts = new CancellationTokenSource();

        Task<int> prefetch = store.PrefetchAsync(keys, cts.Token);
        WaitFor(() => lower.Pending == 4, "four reads in flight at once");
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prefetch);
        Assert.Equal(4, lower.Cancelled); // the token reached every read in flight
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(1, store.TierOf(Key(i)));
            AssertBytes(store, i, Payload(i)); // a hit promotes; the slot it leaves is freed at once
        }

        // A slot still marked in flight would be kept (reserved) instead of freed when its block left.
        Assert.Equal(10, lower.Frees);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_failed_read_in_the_window_leaves_its_block_and_the_others_move_up()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 8);
        using TieredKvStore store = Create(lower, topCapacity: 12);
        BlockKey[] keys = Fill(store, below: 8, top: 12);
        lower.Fail(Key(2), throws: true);
        lower.Fail(Key(5), throws: false);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.Pending == 8, "eight reads in flight at once");
        lower.Open();

        IOException thrown = await Assert.ThrowsAsync<IOException>(() => prefetch);
        Assert.Contains(Key(2).ToString(), thrown.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.TierOf(Key(2))); // the read threw: the block stays where it was
        Assert.Equal(-1, store.TierOf(Key(5))); // the device said unreadable: a miss, dropped as before
        foreach (int i in new[] { 0, 1, 3, 4, 6, 7 })
        {
            Assert.Equal(0, store.TierOf(Key(i)));
            AssertBytes(store, i, Payload(i));
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_put_or_remove_while_its_block_is_read_ahead_wins_and_no_wrong_bytes_are_served()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 8);
        using TieredKvStore store = Create(lower, topCapacity: 8);
        BlockKey[] keys = Fill(store, below: 8, top: 8);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.Pending == 8, "eight reads in flight at once");
        byte[] replaced = Payload(1000);
        Assert.True(store.Remove(Key(1))); // a put of a resident block is an access; new bytes need the old block gone
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, replaced));
        Assert.True(store.Remove(Key(3)));
        lower.Open();

        Assert.Equal(6, await prefetch);
        AssertBytes(store, 1, replaced); // the old bytes read meanwhile are not put back over the new ones
        Assert.Equal(-1, store.TierOf(Key(3)));
        foreach (int i in new[] { 0, 2, 4, 5, 6, 7 })
        {
            Assert.Equal(0, store.TierOf(Key(i)));
            AssertBytes(store, i, Payload(i));
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Dispose_during_a_windowed_prefetch_waits_for_the_reads_in_flight_and_does_not_hang()
    {
        var lower = new WindowedDevice(32, TinyLayout.BytesPerBlock, readWindow: 4);
        TieredKvStore store = Create(lower, topCapacity: 12);
        BlockKey[] keys = Fill(store, below: 10, top: 12);
        lower.Close();

        Task<int> prefetch = store.PrefetchAsync(keys);
        WaitFor(() => lower.Pending == 4, "four reads in flight at once");
        Task dispose = Task.Run(store.Dispose);
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // the reads in flight hold it
        lower.Open();

        // Before, a read done and waiting for its turn kept Dispose waiting, while the prefetch waited for Dispose's lock.
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => prefetch);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public void A_device_window_out_of_range_is_refused_naming_the_tier()
    {
        var lower = new WindowedDevice(8, TinyLayout.BytesPerBlock, readWindow: 0);

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => Create(lower, topCapacity: 4));

        Assert.Contains("'remote'", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("ReadWindow 0", thrown.Message, StringComparison.Ordinal);
    }
}
