using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.LookupWindowKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Single lookups take places in their device's read window too, with every prefetch and batch: a server whose request
/// threads each look up one block of a slow remote tier keeps at most the device's window of reads on it. Before
/// (tidy27's window counted prefetches and batches only), eight lookups on a window of 2 had eight reads in flight. A
/// lookup that waits for a place holds nothing Dispose or another reader waits for; a cancelled wait takes no place.
/// </summary>
public sealed class LookupReadWindowTests
{
    [Fact]
    public async Task Eight_lookups_at_once_keep_the_devices_window_of_two_reads_in_flight()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2);
        using TieredKvStore store = Open(remote, 12, out BlockKey[] keys); // 0-7 remote
        StoreStatistics before = store.GetStatistics();
        remote.Close();

        var into = new byte[8][];
        Task<BlockRead>[] lookups = LookUp(store, keys, 0, 8, into);
        WaitFor(() => remote.Pending == 2, "two remote reads in flight");
        await Task.Delay(200); // room for the other lookups to send reads they must not send
        Assert.Equal(2, remote.Pending); // before, all eight were at the gate here
        remote.Open();

        for (int i = 0; i < 8; i++)
        {
            await AssertFound(lookups[i], into[i], i);
        }

        Assert.Equal(2, remote.MaxInFlight);
        StoreStatistics after = store.GetStatistics();
        Assert.Equal(8, after.Lookups - before.Lookups); // a lookup that waited is counted once, as a hit
        Assert.Equal(8, after.Hits - before.Hits);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Lookups_and_a_batch_share_the_one_window()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2);
        using TieredKvStore store = Open(remote, 16, out BlockKey[] keys); // 0-11 remote
        remote.Close();

        var destination = new byte[6 * TinyLayout.BytesPerBlock];
        var results = new BlockRead[6];
        Task<int> batch = store.ReadBatchAsync(keys.AsMemory(0, 6), destination, results);
        WaitFor(() => remote.Pending == 2, "the batch's two reads in flight");
        var into = new byte[4][];
        Task<BlockRead>[] lookups = LookUp(store, keys, 6, 4, into);
        await Task.Delay(200);
        Assert.Equal(2, remote.Pending); // the lookups wait for places: before, they sent four more
        remote.Open();

        Assert.Equal(6, await batch.WaitAsync(WaitLimit));
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(Payload(i), destination.AsSpan(i * TinyLayout.BytesPerBlock, results[i].BytesWritten).ToArray());
        }

        for (int i = 0; i < 4; i++)
        {
            await AssertFound(lookups[i], into[i], 6 + i);
        }

        Assert.Equal(2, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_lookup_cancelled_while_it_waits_for_a_place_takes_none_with_it()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2);
        using TieredKvStore store = Open(remote, 12, out BlockKey[] keys); // 0-7 remote
        StoreStatistics before = store.GetStatistics();
        remote.Close();
        using var cancel = new CancellationTokenSource();

        var into = new byte[2][];
        Task<BlockRead>[] first = LookUp(store, keys, 0, 2, into);
        WaitFor(() => remote.Pending == 2, "two remote reads in flight");
        var waitingInto = new byte[1][];
        Task<BlockRead> waiting = LookUp(store, keys, 2, 1, waitingInto, cancel.Token)[0];
        await Task.Delay(100);
        Assert.Equal(2, remote.Pending); // before, the third read was sent too
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(WaitLimit));
        Assert.Equal(0, remote.Cancelled); // it never reached the device
        remote.Open();
        await AssertFound(first[0], into[0], 0);
        await AssertFound(first[1], into[1], 1);

        // A place the cancelled wait kept would leave one read at a time: both are free again.
        remote.Close();
        var afterInto = new byte[2][];
        Task<BlockRead>[] after = LookUp(store, keys, 3, 2, afterInto);
        WaitFor(() => remote.Pending == 2, "both places free again");
        remote.Open();
        await AssertFound(after[0], afterInto[0], 3);
        await AssertFound(after[1], afterInto[1], 4);
        Assert.Equal(4, store.GetStatistics().Lookups - before.Lookups); // the cancelled lookup is not counted
        Assert.Equal(2, remote.MaxInFlight);
        Assert.Equal(1, store.TierOf(keys[2])); // the block stays where it was
    }

    [Fact]
    public async Task Dispose_while_lookups_wait_for_places_waits_for_the_reads_in_flight_and_ends()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2);
        TieredKvStore store = Open(remote, 12, out BlockKey[] keys);
        remote.Close();

        var into = new byte[5][];
        Task<BlockRead>[] lookups = LookUp(store, keys, 0, 5, into);
        WaitFor(() => remote.Pending == 2, "two remote reads in flight");
        Task dispose = Task.Run(store.Dispose);
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // the reads in flight hold it; the waiting lookups hold nothing
        Assert.Equal(2, remote.Pending);
        remote.Open();

        await dispose.WaitAsync(WaitLimit);
        foreach (Task<BlockRead> lookup in lookups)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => lookup.WaitAsync(WaitLimit));
        }

        Assert.Equal(2, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_local_miss_asks_the_shared_tier_only_with_a_place_in_its_window()
    {
        var slots = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 1);
        var shared = new System.Collections.Concurrent.ConcurrentDictionary<BlockKey, byte[]>();
        shared[Key(200)] = Payload(200); // put by another store: this one's table does not index it
        var remote = new SharedWindowedDevice(slots, shared);
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), 64)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
        });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // 0-1 remote
        }

        slots.Close();
        var first = new byte[TinyLayout.BytesPerBlock];
        Task<BlockRead> inFlight = store.TryGetAsync(Key(0), first).AsTask();
        WaitFor(() => slots.Pending == 1, "the window's one read in flight");
        var fetched = new byte[TinyLayout.BytesPerBlock];
        Task<BlockRead> miss = store.TryGetAsync(Key(200), fetched).AsTask();
        var fetchedSync = new byte[TinyLayout.BytesPerBlock];
        Task<bool> missSync = Task.Factory.StartNew(() => store.TryGet(Key(200), fetchedSync, out _),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(200);
        Assert.Equal(0, remote.Fetches); // before, both fetched at once, past the window's one read
        Assert.False(miss.IsCompleted);
        Assert.False(missSync.IsCompleted);
        slots.Open();

        await AssertFound(inFlight, first, 0);
        BlockRead read = await miss.WaitAsync(WaitLimit);
        Assert.True(read.Found);
        Assert.Equal(Payload(200), fetched.AsSpan(0, read.BytesWritten).ToArray());
        Assert.True(await missSync.WaitAsync(WaitLimit)); // fetched, or found adopted by the other lookup
        Assert.Equal(Payload(200), fetchedSync);
        Assert.InRange(remote.Fetches, 1, 2);
        Assert.Empty(slots.Violations);
    }
}
