using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.LookupWindowKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A batch's blocks that need the ordinary lookup (top tier, staged, absent locally) never block the batch's thread
/// for a place in a device's read window: a block that moved into a windowed tier after the batch looked, or a local
/// miss a shared tier answers, awaits its place. Before reads29 the batch looked such blocks up synchronously, which
/// waited for a place blocking the thread: <c>ReadBatchAsync</c> did not even return to its caller while the window
/// was full. Each batch is started on a thread of its own, so a call that blocks shows as one that has not returned.
/// </summary>
public sealed class BatchLookupWindowTests
{
    private static readonly int Bytes = TinyLayout.BytesPerBlock;

    /// <summary>
    /// How long a batch's call may take to return while the window is full. Returning needs no device and takes
    /// microseconds; a call that blocks returns only once the window's held read ends (at the gate's own bound,
    /// 10 s, WindowedDevice), so this is half of that.
    /// </summary>
    private static readonly TimeSpan ReturnLimit = TimeSpan.FromSeconds(5);

    /// <summary>Starts a batch of <paramref name="keys"/> on a thread of its own; the outer task ends when the call returns.</summary>
    private static Task<Task<int>> StartBatch(TieredKvStore store, BlockKey[] keys, byte[] destination, BlockRead[] results,
        CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => store.ReadBatchAsync(keys, destination, results, cancellationToken),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The batch's call returned while the window was full (the gate is opened first when it did not, so the test ends).</summary>
    private static async Task<Task<int>> AssertReturned(Task<Task<int>> call, WindowedDevice gated)
    {
        bool returned = await Task.WhenAny(call, Task.Delay(ReturnLimit)) == call;
        if (!returned)
        {
            gated.Open();
        }

        Assert.True(returned, "ReadBatchAsync blocked its caller's thread waiting for a place in the read window");
        return await call;
    }

    [Fact]
    public async Task A_block_that_moves_into_a_full_window_before_the_batch_looks_it_up_does_not_block_the_batch()
    {
        var top = new HookedDevice(4, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 1);
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4) { Policy = EvictionPolicy.Lru, DeviceFactory = (_, _) => top });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
        });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // 0-5 remote, 6-9 top
        }

        remote.Close();
        var held = new byte[Bytes];
        Task<BlockRead> holder = store.TryGetAsync(Key(0), held).AsTask();
        WaitFor(() => remote.Pending == 1, "the window's one read in flight");

        // Block 6 is in the top tier when the batch looks (TryBegin: an ordinary lookup), and a put pushes it down
        // into the remote tier inside that lookup's lock-free copy, on the batch's own thread: exactly between the two.
        bool moved = false;
        top.BeforePayload = () =>
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(100), BlockKey.Empty, Payload(100)));
            moved = store.TierOf(Key(6)) == 1;
        };
        var destination = new byte[Bytes];
        var results = new BlockRead[1];
        Task<int> batch = await AssertReturned(StartBatch(store, [Key(6)], destination, results), remote);

        Assert.True(moved, "block 6 moved into the remote tier during the batch's lookup");
        Assert.False(batch.IsCompleted); // it awaits the place
        Assert.Equal(1, remote.Pending);
        remote.Open();

        await AssertFound(holder, held, 0);
        Assert.Equal(1, await batch.WaitAsync(WaitLimit));
        Assert.Equal(1, results[0].Tier);
        Assert.Equal(Payload(6), destination.AsSpan(0, results[0].BytesWritten).ToArray());
        Assert.Equal(1, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    /// <summary>A top tier of 4 over a shared tier whose window is 1; blocks 0-1 in it, 2-5 on top, block 200 another store's.</summary>
    private static TieredKvStore OpenShared(WindowedDevice slots, out SharedWindowedDevice remote)
    {
        var shared = new System.Collections.Concurrent.ConcurrentDictionary<BlockKey, byte[]>();
        shared[Key(200)] = Payload(200); // put by another store: this one's table does not index it
        var device = new SharedWindowedDevice(slots, shared);
        remote = device;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), 64)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => device,
        });
        var store = new TieredKvStore(options);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        return store;
    }

    [Fact]
    public async Task A_batchs_local_miss_awaits_the_shared_tiers_window_without_blocking_the_batch()
    {
        var slots = new WindowedDevice(64, Bytes, readWindow: 1);
        using TieredKvStore store = OpenShared(slots, out SharedWindowedDevice remote);
        slots.Close();
        var held = new byte[Bytes];
        Task<BlockRead> holder = store.TryGetAsync(Key(0), held).AsTask();
        WaitFor(() => slots.Pending == 1, "the window's one read in flight");

        var destination = new byte[2 * Bytes];
        var results = new BlockRead[2];
        Task<int> batch = await AssertReturned(StartBatch(store, [Key(5), Key(200)], destination, results), slots);

        Assert.False(batch.IsCompleted);
        Assert.Equal(0, remote.Fetches); // the fetch waits for the place
        slots.Open();

        await AssertFound(holder, held, 0);
        Assert.Equal(2, await batch.WaitAsync(WaitLimit));
        Assert.Equal(Payload(5), destination.AsSpan(0, results[0].BytesWritten).ToArray());
        Assert.Equal(1, results[1].Tier);
        Assert.Equal(Payload(200), destination.AsSpan(Bytes, results[1].BytesWritten).ToArray());
        Assert.Equal(1, remote.Fetches);
        Assert.Empty(slots.Violations);
    }

    [Fact]
    public async Task A_batch_cancelled_while_its_lookup_awaits_a_place_takes_none_with_it()
    {
        var slots = new WindowedDevice(64, Bytes, readWindow: 1);
        using TieredKvStore store = OpenShared(slots, out SharedWindowedDevice remote);
        StoreStatistics before = store.GetStatistics();
        slots.Close();
        var held = new byte[Bytes];
        Task<BlockRead> holder = store.TryGetAsync(Key(0), held).AsTask();
        WaitFor(() => slots.Pending == 1, "the window's one read in flight");

        using var cancel = new CancellationTokenSource();
        Task<int> batch = await AssertReturned(
            StartBatch(store, [Key(200)], new byte[Bytes], new BlockRead[1], cancel.Token), slots);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch.WaitAsync(WaitLimit));
        Assert.Equal(0, remote.Fetches);
        slots.Open();
        await AssertFound(holder, held, 0);

        // A place the cancelled wait kept would leave the window of one full for good: the next read gets it.
        slots.Close();
        var next = new byte[Bytes];
        Task<BlockRead> after = store.TryGetAsync(Key(1), next).AsTask();
        WaitFor(() => slots.Pending == 1, "the place free again");
        slots.Open();
        await AssertFound(after, next, 1);
        Assert.Equal(2, store.GetStatistics().Lookups - before.Lookups); // the cancelled lookup is not counted
        Assert.Empty(slots.Violations);
    }
}
