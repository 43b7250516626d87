using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.ReadBatchAsync"/> reads many blocks with a remote tier's window of reads in flight, each
/// into its own place, and moves none of them: a restore's chunks no longer push out each other (session 25's two
/// withdrawn restores), and a batch costs the tiers below no demotion writes. Misses, corrupt and unreachable blocks,
/// exceptions, cancellation and blocks that move meanwhile each behave as a lookup's would.
/// </summary>
public sealed class BatchReadTests
{
    private static readonly int Bytes = TinyLayout.BytesPerBlock;

    /// <summary>A top tier of <paramref name="top"/> blocks over an awaitable middle tier over a remote one with a read window.</summary>
    private static TieredKvStore Open(int top, AwaitableDevice middle, WindowedDevice remote)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), middle.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => middle,
        });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
        });
        return new TieredKvStore(options);
    }

    /// <summary>Blocks 0 to <paramref name="count"/> - 1, put in order: the first ones lie lowest.</summary>
    private static BlockKey[] Put(TieredKvStore store, int count)
    {
        var keys = new BlockKey[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(PutResult.Stored, store.Put(keys[i], i == 0 ? BlockKey.Empty : keys[i - 1], Payload(i)));
        }

        return keys;
    }

    private static int[] Tiers(TieredKvStore store, BlockKey[] keys) => Array.ConvertAll(keys, k => store.TierOf(k));

    private static void AssertRead(BlockRead[] results, byte[] destination, int i, int tier)
    {
        Assert.True(results[i].Found, $"block {i} found");
        Assert.Equal(tier, results[i].Tier);
        Assert.Equal(Payload(i), destination.AsSpan(i * Bytes, results[i].BytesWritten).ToArray());
    }

    [Fact]
    public async Task A_batch_reads_every_tier_with_the_remote_window_in_flight_and_moves_nothing()
    {
        var middle = new AwaitableDevice(8, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 4, middle, remote);
        BlockKey[] keys = Put(store, 30); // 0-17 remote, 18-25 middle, 26-29 top
        int[] before = Tiers(store, keys);
        Assert.Equal((2, 1, 0), (before[0], before[20], before[29]));
        long remoteWrites = store.GetStatistics().Tiers[2].BytesWritten;
        remote.Close();

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        Task<int> batch = store.ReadBatchAsync(keys, destination, results);
        WaitFor(() => remote.Pending == 4, "four remote reads in flight at once");
        remote.Open();

        Assert.Equal(keys.Length, await batch);
        Assert.Equal(4, remote.MaxInFlight);
        for (int i = 0; i < keys.Length; i++)
        {
            AssertRead(results, destination, i, before[i]);
        }

        Assert.Equal(before, Tiers(store, keys)); // nothing promoted, so nothing pushed down either
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(remoteWrites, stats.Tiers[2].BytesWritten);
        Assert.Equal(18, stats.Tiers[2].Hits);
        Assert.Equal(0, stats.Tiers[2].Promotions);
        Assert.Empty(remote.Violations);
        Assert.Empty(middle.Violations);
    }

    [Fact]
    public async Task Dispose_during_a_batch_waits_for_the_reads_in_flight_and_does_not_hang()
    {
        var middle = new AwaitableDevice(8, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        TieredKvStore store = Open(top: 4, middle, remote);
        BlockKey[] keys = Put(store, 30); // 0-17 remote
        remote.Close();

        Task<int> batch = store.ReadBatchAsync(keys, new byte[keys.Length * Bytes], new BlockRead[keys.Length]);
        WaitFor(() => remote.Pending == 4, "four remote reads in flight at once");
        Task dispose = Task.Run(store.Dispose);
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // the reads in flight hold it
        remote.Open();

        // A read done but waiting for its turn must not keep Dispose waiting while its turn waits for Dispose's lock
        // (the hang remote26 found in the prefetch's window).
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batch);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Reads_that_end_out_of_order_land_each_in_its_own_place()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 8) { Stagger = TimeSpan.FromMilliseconds(3) };
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 24);
        Array.Reverse(keys, 3, 10); // not in chain order either

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        Assert.Equal(keys.Length, await store.ReadBatchAsync(keys, destination, results));
        for (int i = 0; i < keys.Length; i++)
        {
            var expected = new byte[Bytes];
            Assert.True(store.TryGet(keys[i], expected, out _));
            Assert.True(results[i].Found);
            Assert.Equal(expected, destination.AsSpan(i * Bytes, Bytes).ToArray());
        }
    }

    [Fact]
    public async Task A_missing_and_a_corrupt_block_are_misses_and_the_rest_is_read()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 12);
        Assert.True(store.Remove(keys[3]));
        remote.Fail(keys[5], throws: false); // its bytes fail verification

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        Assert.Equal(10, await store.ReadBatchAsync(keys, destination, results));
        Assert.Equal(new BlockRead(false, 0, -1) { Miss = BlockMiss.NotResident }, results[3]); // removed before
        Assert.Equal(new BlockRead(false, 0, -1) { Miss = BlockMiss.Corrupt }, results[5]);
        Assert.False(store.Contains(keys[5])); // dropped, as a lookup drops it: gone, not merely unreachable
        Assert.Equal(1, store.GetStatistics().Tiers[2].ChecksumFailures);
        AssertRead(results, destination, 4, 2);
        AssertRead(results, destination, 6, 2);
    }

    [Fact]
    public async Task A_block_whose_device_cannot_be_reached_is_a_miss_that_stays_resident()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 12);
        remote.Unreachable(keys[2]);

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        Assert.Equal(11, await store.ReadBatchAsync(keys, destination, results));
        Assert.False(results[2].Found);
        Assert.Equal(2, store.TierOf(keys[2])); // still there: the caller can tell "unreachable" from "gone"
        Assert.Equal(1, store.GetStatistics().Tiers[2].UnreachableReads);

        remote.Reachable(keys[2]);
        Assert.Equal(12, await store.ReadBatchAsync(keys, destination, results));
        AssertRead(results, destination, 2, 2);
    }

    [Fact]
    public async Task A_read_that_throws_ends_the_batch_after_the_reads_in_flight_and_leaves_every_block()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 20);
        int[] before = Tiers(store, keys);
        remote.Fail(keys[1], throws: true);
        remote.Close();

        Task<int> batch = store.ReadBatchAsync(keys, new byte[keys.Length * Bytes], new BlockRead[keys.Length]);
        WaitFor(() => remote.Pending == 4, "four remote reads in flight");
        remote.Open();

        await Assert.ThrowsAsync<IOException>(() => batch);
        Assert.Equal(before, Tiers(store, keys));
        remote.Fail(keys[1], throws: false);
        remote.Reachable(keys[1]);
        var bytes = new byte[Bytes];
        Assert.True(store.TryGet(keys[0], bytes, out int written));
        Assert.Equal(Payload(0), bytes[..written]);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_cancelled_batch_ends_every_read_in_flight_and_leaves_every_block_readable()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 20);
        int[] before = Tiers(store, keys);
        remote.Close();
        using var cancel = new CancellationTokenSource();

        Task<int> batch = store.ReadBatchAsync(keys, new byte[keys.Length * Bytes], new BlockRead[keys.Length], cancel.Token);
        WaitFor(() => remote.Pending == 4, "four remote reads in flight");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        Assert.Equal(4, remote.Cancelled);
        Assert.Equal(before, Tiers(store, keys));
        remote.Open();
        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        Assert.Equal(keys.Length, await store.ReadBatchAsync(keys, destination, results));
        AssertRead(results, destination, 0, 2);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_block_promoted_and_pushed_down_again_while_its_batch_read_is_in_flight_is_found()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(64, Bytes, readWindow: 5); // the batch's four reads, and a place for the lookup's
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 8); // 0-3 remote
        remote.Close();

        var destination = new byte[4 * Bytes];
        var results = new BlockRead[4];
        Task<int> batch = store.ReadBatchAsync(keys.AsMemory(0, 4), destination, results);
        WaitFor(() => remote.Pending == 4, "four remote reads in flight");
        var bytes = new byte[Bytes];
        Assert.True(store.TryGet(keys[0], bytes, out _)); // promoted (the synchronous read is not gated; reads28: it takes the fifth place)...
        Assert.Equal(0, store.TierOf(keys[0]));
        Assert.True(store.Remove(keys[1]));               // ...removed and put again...
        Assert.Equal(PutResult.Stored, store.Put(keys[1], keys[0], Payload(1)));
        for (int i = 100; i < 104; i++)                   // ...and both pushed down to the remote tier again
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.Equal((2, 2), (store.TierOf(keys[0]), store.TierOf(keys[1])));
        remote.Open();

        Assert.Equal(4, await batch);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(results[i].Found);
            Assert.Equal(Payload(i), destination.AsSpan(i * Bytes, Bytes).ToArray());
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Short_buffers_and_a_metadata_only_store_are_refused_naming_the_value()
    {
        var middle = new AwaitableDevice(2, Bytes);
        var remote = new WindowedDevice(8, Bytes, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        BlockKey[] keys = Put(store, 3);

        // Refused before a task exists, as the store's other calls refuse bad arguments.
        var shortDestination = Assert.Throws<ArgumentException>(() =>
        {
            _ = store.ReadBatchAsync(keys, new byte[(3 * Bytes) - 1], new BlockRead[3]);
        });
        Assert.Equal("destination", shortDestination.ParamName);
        var shortResults = Assert.Throws<ArgumentException>(() =>
        {
            _ = store.ReadBatchAsync(keys, new byte[3 * Bytes], new BlockRead[2]);
        });
        Assert.Equal("results", shortResults.ParamName);
        using TieredKvStore metadata = CreateMetadata(EvictionPolicy.Lru, 4);
        Assert.Throws<InvalidOperationException>(() =>
        {
            _ = metadata.ReadBatchAsync(keys, Array.Empty<byte>(), new BlockRead[3]);
        });
        Assert.Equal(0, await store.ReadBatchAsync(ReadOnlyMemory<BlockKey>.Empty, Array.Empty<byte>(), Array.Empty<BlockRead>()));
    }
}
