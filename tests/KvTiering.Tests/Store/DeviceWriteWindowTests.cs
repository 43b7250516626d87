using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A device's <see cref="Devices.IConcurrentWrites.WriteWindow"/> holds store-wide (DeviceWriteWindow, wwin31): shares,
/// the write-behind worker and prefetches' demotions take their places in one window per tier, so several of them at
/// once keep at most the window of writes on the device in all. Before, each kept a window of its own: two shares put
/// twice the window on the server.
/// </summary>
/// <remarks>
/// Each test holds the device's writes at its gate, waits for the window to fill, and then lets the writers that would
/// exceed it run on for a while (<see cref="Settle"/>) before it counts: on main they send their own window's worth in
/// that time, and the count is above the window.
/// </remarks>
public sealed class DeviceWriteWindowTests
{
    private const int Window = 4;

    /// <summary>Time for writers that would exceed the window to send (on main they do at once).</summary>
    private static void Settle() => Thread.Sleep(200);

    private static TieredKvStore Shared(WindowedWriteDevice lower, int top, bool writeBehind = false)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 16 };
        options.Tiers.Add(new TierOptions(Profile("top"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Remote), lower.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => new SharedWindowedWriteDevice(lower),
            WriteBehind = writeBehind,
        });
        return new TieredKvStore(options);
    }

    private static BlockKey[] Keys(int from, int count) => Enumerable.Range(from, count).Select(Key).ToArray();

    private static void PutAll(TieredKvStore store, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }
    }

    [Fact]
    public async Task Two_shares_at_once_keep_one_window_of_writes_on_the_device_in_all()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: Window);
        using TieredKvStore store = Shared(lower, top: 16);
        PutAll(store, 0, 16);
        lower.Close();

        Task<ShareResult> first = store.ShareAsync(Keys(0, 8));
        Task<ShareResult> second = store.ShareAsync(Keys(8, 8));
        WaitFor(() => lower.PendingWrites == Window, "a window of copies in flight");
        Settle();
        Assert.Equal(Window, lower.PendingWrites); // main: 8, a window per share

        lower.Open();
        Assert.Equal(new ShareResult(8, 0, 0, 0, 0), await first);
        Assert.Equal(new ShareResult(8, 0, 0, 0, 0), await second);
        Assert.Equal(Window, lower.MaxWritesInFlight);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(Payload(i), lower.Copies[Key(i)]);
        }
    }

    [Fact]
    public async Task A_share_while_write_behind_drains_a_burst_keeps_one_window_in_all_and_every_block_lands()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: Window);
        using TieredKvStore store = Shared(lower, top: 9, writeBehind: true); // a slot left: no victim demoted early
        PutAll(store, 0, 8);
        lower.Close();

        Task<ShareResult> share = store.ShareAsync(Keys(0, 8));
        WaitFor(() => lower.PendingWrites == Window, "the share's window of copies in flight");
        PutAll(store, 8, 8); // eight demotions queued for the worker
        Settle();
        Assert.Equal(Window, lower.PendingWrites); // main: the worker sends a window of its own beside the share's

        lower.Open();
        ShareResult shared = await share;
        Assert.True(shared.Complete); // copied, or demoted into the shared tier meanwhile
        Assert.Equal(8, shared.OnSharedTier);
        WaitFor(() => lower.PendingWrites == 0 && Enumerable.Range(0, 16).Count(i => store.TierOf(Key(i)) == 1) >= 8, // and the early victim
            $"the demotions landed: pending {lower.PendingWrites}, tiers {string.Join(",", Enumerable.Range(0, 16).Select(i => store.TierOf(Key(i))))}");
        Assert.Equal(Window, lower.MaxWritesInFlight);
        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < 16; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Two_prefetches_whose_victims_go_down_keep_one_window_of_demotions_in_all()
    {
        const int top = 12;
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: Window);
        using TieredKvStore store = Shared(lower, top);
        PutAll(store, 0, 10 + top); // 0 to 9 pushed down to the remote tier, 10 to 21 fill the top one
        Assert.All(Keys(0, 10), k => Assert.Equal(1, store.TierOf(k)));
        lower.Close();

        Task<int> first = store.PrefetchAsync(Keys(0, 5));
        Task<int> second = store.PrefetchAsync(Keys(5, 5));
        WaitFor(() => lower.PendingWrites == Window, "a window of demotions in flight");
        Settle();
        Assert.Equal(Window, lower.PendingWrites); // main: a window per prefetch

        lower.Open();
        Assert.Equal(5, await first);
        Assert.Equal(5, await second);
        Assert.Equal(Window, lower.MaxWritesInFlight);
        for (int i = 0; i < 10 + top; i++)
        {
            // The prefetched blocks up; the least recent others (10 to 19) down, as one prefetch's demotions would.
            Assert.Equal(i < 10 || i >= 20 ? 0 : 1, store.TierOf(Key(i)));
        }

        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < 10 + top; i++) // reads promote: every tier was checked first
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_share_cancelled_while_it_waits_for_a_place_sends_nothing_and_leaks_no_place()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: Window);
        using TieredKvStore store = Shared(lower, top: 16);
        PutAll(store, 0, 16);
        lower.Close();

        Task<ShareResult> first = store.ShareAsync(Keys(0, 4));
        WaitFor(() => lower.PendingWrites == Window, "the first share's copies in flight");
        using var cancel = new CancellationTokenSource();
        Task<ShareResult> waiting = store.ShareAsync(Keys(4, 4), cancel.Token);
        Settle();
        Assert.False(waiting.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        lower.Open();
        Assert.Equal(new ShareResult(4, 0, 0, 0, 0), await first);
        Assert.All(Keys(4, 4), k => Assert.False(lower.Copies.ContainsKey(k), $"{k} was sent")); // main: all four were

        // Every place came back: a new share gets the whole window in flight again.
        lower.Close();
        Task<ShareResult> again = store.ShareAsync(Keys(8, 8));
        WaitFor(() => lower.PendingWrites == Window, "a whole window for the next share");
        lower.Open();
        Assert.Equal(new ShareResult(8, 0, 0, 0, 0), await again);
    }

    [Fact]
    public async Task Dispose_while_a_share_and_the_worker_wait_for_places_completes_and_sends_nothing_after()
    {
        var lower = new WindowedWriteDevice(32, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: Window);
        TieredKvStore store = Shared(lower, top: 8, writeBehind: true);
        PutAll(store, 0, 8);
        lower.Close();
        Task<ShareResult> first = store.ShareAsync(Keys(0, 4));
        WaitFor(() => lower.PendingWrites == Window, "the first share's copies in flight");
        Task<ShareResult> waiting = store.ShareAsync(Keys(4, 4));
        PutAll(store, 8, 4); // the worker waits for places too
        Settle();

        Task dispose = Task.Run(store.Dispose);
        Settle();
        Assert.False(dispose.IsCompleted); // the worker lands what is queued first, and the window is held
        lower.Open();
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));

        ShareResult shared = await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, shared.OnSharedTier); // copied, or demoted there early (the worker's first victim)
        try
        {
            await waiting.WaitAsync(TimeSpan.FromSeconds(10)); // its writes went before Dispose closed the device
        }
        catch (ObjectDisposedException)
        {
            // woken after Dispose: it handed its place on and sent nothing
        }

        Assert.Equal(0, lower.WritesAfterDispose);
        Assert.Empty(lower.Violations);
    }
}
