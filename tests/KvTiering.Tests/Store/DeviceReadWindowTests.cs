using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.LookupWindowKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A device's read window is the device's, not each reader's: several batches and prefetches at once (a server
/// restoring several sessions) keep at most its window of reads on it in all. Before, each batch and each prefetch kept
/// a window of its own, so two batches on a window of 4 had 8 reads in flight. A reader that waits for a place holds
/// nothing Dispose or another reader waits for, and a cancelled wait takes no place with it.
/// </summary>
public sealed class DeviceReadWindowTests
{
    private static readonly int Bytes = TinyLayout.BytesPerBlock;

    private static Task<int> Batch(TieredKvStore store, BlockKey[] keys, int from, int count, out byte[] destination,
        out BlockRead[] results, CancellationToken cancellationToken = default)
    {
        destination = new byte[count * Bytes];
        results = new BlockRead[count];
        return store.ReadBatchAsync(keys.AsMemory(from, count), destination, results, cancellationToken);
    }

    private static void AssertRead(byte[] destination, BlockRead[] results, int first)
    {
        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Found, $"block {first + i} found");
            Assert.Equal(Payload(first + i), destination.AsSpan(i * Bytes, results[i].BytesWritten).ToArray());
        }
    }

    [Fact]
    public async Task Four_batches_at_once_keep_the_devices_window_of_four_reads_in_flight_in_all()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(remote, 28, out BlockKey[] keys); // 0-23 remote
        remote.Close();

        var batches = new Task<int>[4];
        var destinations = new byte[4][];
        var results = new BlockRead[4][];
        for (int b = 0; b < 4; b++)
        {
            batches[b] = Batch(store, keys, b * 6, 6, out destinations[b], out results[b]);
        }

        WaitFor(() => remote.Pending == 4, "four remote reads in flight");
        Assert.Equal(4, remote.Pending); // each batch sent its reads before it returned: before, 16 were in flight here
        remote.Open();

        for (int b = 0; b < 4; b++)
        {
            Assert.Equal(6, await batches[b].WaitAsync(TimeSpan.FromSeconds(10)));
            AssertRead(destinations[b], results[b], b * 6);
        }

        Assert.Equal(4, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_prefetch_and_a_batch_share_the_window()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(remote, 24, out BlockKey[] keys); // 0-19 remote
        remote.Close();

        Task<int> prefetch = store.PrefetchAsync(keys.AsMemory(0, 4));
        WaitFor(() => remote.Pending == 4, "the prefetch's four reads in flight");
        Task<int> batch = Batch(store, keys, 10, 8, out byte[] destination, out BlockRead[] results);
        Assert.Equal(4, remote.Pending); // the batch waits for a place: before, it sent four more
        remote.Open();

        Assert.Equal(4, await prefetch.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(8, await batch.WaitAsync(TimeSpan.FromSeconds(10)));
        AssertRead(destination, results, 10);
        Assert.Equal(4, remote.MaxInFlight);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0, store.TierOf(keys[i]));
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_prefetch_that_finds_the_window_full_waits_for_a_place_and_then_moves_its_blocks_in_order()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(remote, 24, out BlockKey[] keys); // 0-19 remote
        remote.Close();

        Task<int> batch = Batch(store, keys, 10, 8, out byte[] destination, out BlockRead[] results);
        Assert.Equal(4, remote.Pending);
        Task<int> prefetch = store.PrefetchAsync(keys.AsMemory(0, 4));
        await Task.Delay(200); // room for the prefetch to send reads it must not send
        Assert.Equal(4, remote.Pending); // before, the prefetch sent four more
        remote.Open();

        Assert.Equal(8, await batch.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, await prefetch.WaitAsync(TimeSpan.FromSeconds(10)));
        AssertRead(destination, results, 10);
        Assert.Equal(4, remote.MaxInFlight);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0, store.TierOf(keys[i]));
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Dispose_while_readers_wait_for_places_waits_for_the_reads_in_flight_and_ends()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        TieredKvStore store = Open(remote, 24, out BlockKey[] keys);
        remote.Close();

        Task<int> first = Batch(store, keys, 0, 6, out _, out _);
        Task<int> second = Batch(store, keys, 6, 6, out _, out _);
        Task<int> prefetch = store.PrefetchAsync(keys.AsMemory(12, 6));
        WaitFor(() => remote.Pending == 4, "four remote reads in flight");
        Assert.Equal(4, remote.Pending);
        Task dispose = Task.Run(store.Dispose);
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // the reads in flight hold it; the waiting readers hold nothing
        remote.Open();

        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => prefetch.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_batch_cancelled_while_it_waits_for_a_place_takes_none_with_it()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 2);
        using TieredKvStore store = Open(remote, 24, out BlockKey[] keys);
        remote.Close();
        using var cancel = new CancellationTokenSource();

        Task<int> first = Batch(store, keys, 0, 4, out _, out _);
        Task<int> waiting = Batch(store, keys, 4, 4, out _, out _, cancel.Token);
        Assert.Equal(2, remote.Pending);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, remote.Pending); // the first batch's reads, still at the gate
        remote.Open();
        Assert.Equal(4, await first.WaitAsync(TimeSpan.FromSeconds(10)));

        // A place the cancelled wait kept would leave one read at a time; two kept, none, and this batch would hang.
        remote.Close();
        Task<int> after = Batch(store, keys, 8, 8, out byte[] destination, out BlockRead[] results);
        WaitFor(() => remote.Pending == 2, "both places free again");
        remote.Open();
        Assert.Equal(8, await after.WaitAsync(TimeSpan.FromSeconds(10)));
        AssertRead(destination, results, 8);
        Assert.Equal(2, remote.MaxInFlight);
    }

    [Fact]
    public async Task A_batch_that_waits_for_room_counts_one_lookup_per_block_and_no_misses()
    {
        var remote = new WindowedDevice(64, Bytes, readWindow: 2);
        using TieredKvStore store = Open(remote, 12, out BlockKey[] keys); // 0-7 remote
        StoreStatistics before = store.GetStatistics();
        remote.Close();

        Task<int> batch = Batch(store, keys, 0, 8, out byte[] destination, out BlockRead[] results);
        WaitFor(() => remote.Pending == 2, "two remote reads in flight");
        remote.Open();

        Assert.Equal(8, await batch.WaitAsync(TimeSpan.FromSeconds(10)));
        AssertRead(destination, results, 0);
        StoreStatistics after = store.GetStatistics();
        // Before, each block that found the window full was begun twice and counted twice: 14 lookups, 6 of them misses.
        Assert.Equal(8, after.Lookups - before.Lookups);
        Assert.Equal(0, after.Misses - before.Misses);
    }

    [Fact]
    public async Task A_place_given_back_passes_to_the_oldest_waiter_past_a_cancelled_one()
    {
        var window = new DeviceReadWindow(1);
        Assert.True(window.TryEnter());
        using var cancel = new CancellationTokenSource();
        Task first = window.EnterAsync(CancellationToken.None);
        Task cancelled = window.EnterAsync(cancel.Token);
        Task third = window.EnterAsync(CancellationToken.None);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        window.Exit(); // the read ended: its place passes to the first waiter
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(third.IsCompleted);
        Assert.False(window.TryEnter()); // the place passed on: still taken
        window.Exit(); // past the cancelled waiter, to the third
        await third.WaitAsync(TimeSpan.FromSeconds(10));
        window.Exit();
        Assert.Equal(0, window.Taken);
        Assert.True(window.TryEnter());
        Assert.False(window.TryEnter());
    }

    [Fact]
    public async Task A_synchronous_wait_blocks_until_a_place_is_given_back_and_keeps_it()
    {
        var window = new DeviceReadWindow(1);
        Assert.True(window.TryEnter());
        Task waiting = Task.Factory.StartNew(window.Enter, CancellationToken.None, TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        Assert.False(window.TryEnter()); // a waiter is queued: no new reader passes it

        window.Exit();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, window.Taken); // the place passed on
        window.Exit();
        Assert.Equal(0, window.Taken);
    }
}
