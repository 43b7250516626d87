using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A shared tier's round trips (a local miss's fetch, a prefix match's query) run outside the store's lock (probe29):
/// while one thread waits on a slow server, other threads' puts, top-tier hits and local prefix matches go on. Before,
/// the fetch held the lock and left the seqlock odd for the whole round trip, so each of them waited for it.
/// </summary>
public sealed class RemoteFetchOutsideLockTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5); // generous: on the old code these time out, not hang
    private readonly ConcurrentDictionary<BlockKey, byte[]> _shared = new();

    private TieredKvStore Open(out GatedRemoteDevice device)
    {
        GatedRemoteDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 8));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new GatedRemoteDevice(slots, bytes, _shared),
        });
        var store = new TieredKvStore(options);
        device = created!;
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.Stored, store.Put(Key(1), Key(0), Payload(1)));
        _shared[Key(50)] = Payload(50);
        _shared[Key(60)] = Payload(60);
        _shared[Key(61)] = Payload(61);
        return store;
    }

    private static Task<T> OnThread<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>A put of another key, a top-tier hit and a local prefix match, on a thread of their own, within <see cref="Limit"/>.</summary>
    private static async Task OthersGoOn(TieredKvStore store, int newKey)
    {
        await OnThread(() =>
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(newKey), BlockKey.Empty, Payload(newKey)));
            var buffer = new byte[TinyLayout.BytesPerBlock];
            Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier));
            Assert.Equal(0, tier);
            Assert.Equal(Payload(0), buffer[..written]);
            Assert.Equal(2, store.MatchPrefix([Key(0), Key(1)]).Blocks);
            return true;
        }).WaitAsync(Limit);
    }

    [Fact]
    public async Task Puts_hits_and_local_matches_go_on_while_a_synchronous_miss_is_fetched()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        var buffer = new byte[TinyLayout.BytesPerBlock];
        Task<(bool Found, int Tier)> lookup = OnThread(() => (store.TryGet(Key(50), buffer, out _, out int tier), tier));
        try
        {
            WaitFor(() => device.Waiting == 1, "the fetch at the gate");
            await OthersGoOn(store, 2);
            Assert.False(lookup.IsCompleted);
        }
        finally
        {
            device.Open();
        }

        (bool found, int servedFrom) = await lookup.WaitAsync(Limit);
        Assert.True(found);
        Assert.Equal(1, servedFrom);
        Assert.Equal(Payload(50), buffer);
        Assert.Equal(0, store.TierOf(Key(50))); // adopted into the top tier, as before
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Tiers[1].Hits);
        Assert.Equal(128, stats.Tiers[1].BytesRead);
    }

    [Fact]
    public async Task An_asynchronous_miss_awaits_its_fetch_without_blocking_the_caller()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        var buffer = new byte[TinyLayout.BytesPerBlock];
        Task<BlockRead>? lookup = null;
        try
        {
            // The call returns while the fetch waits; before, it fetched synchronously under the lock.
            lookup = await OnThread(() => store.TryGetAsync(Key(50), buffer).AsTask()).WaitAsync(Limit);
            WaitFor(() => device.Waiting == 1, "the fetch at the gate");
            Assert.False(lookup.IsCompleted);
            await OthersGoOn(store, 2);
        }
        finally
        {
            device.Open();
        }

        BlockRead read = await lookup.WaitAsync(Limit);
        Assert.True(read.Found);
        Assert.Equal(1, read.Tier);
        Assert.Equal(Payload(50), buffer);
        Assert.Equal(0, store.TierOf(Key(50)));
    }

    [Fact]
    public async Task A_prefix_match_queries_the_shared_tier_outside_the_lock()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        var tiers = new int[4];
        Task<PrefixMatch> match = OnThread(() => store.MatchPrefix([Key(0), Key(60), Key(61), Key(62)], tiers));
        try
        {
            WaitFor(() => device.Waiting == 1, "the prefix query at the gate");
            await OthersGoOn(store, 2);
            Assert.Equal(PutResult.Stored, store.Put(Key(60), Key(0), Payload(60))); // local now: the re-read table wins
        }
        finally
        {
            device.Open();
        }

        PrefixMatch found = await match.WaitAsync(Limit);
        Assert.Equal(3, found.Blocks);
        Assert.Equal([0, 0, 1], tiers[..3]);
        Assert.Equal(2, found.BlocksInTier(0));
        Assert.Equal(1, found.BlocksInTier(1));
        Assert.Equal(1, device.Queries);
    }

    [Fact]
    public async Task A_block_that_left_during_the_prefix_query_ends_the_match()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        Task<PrefixMatch> match = OnThread(() => store.MatchPrefix([Key(0), Key(60)]));
        try
        {
            WaitFor(() => device.Waiting == 1, "the prefix query at the gate");
            Assert.True(await OnThread(() => store.Remove(Key(0))).WaitAsync(Limit));
        }
        finally
        {
            device.Open();
        }

        Assert.Equal(0, (await match.WaitAsync(Limit)).Blocks); // the table is read again after the query
    }

    [Fact]
    public async Task A_put_of_the_same_key_during_the_fetch_wins_and_the_read_still_hits()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        var buffer = new byte[TinyLayout.BytesPerBlock];
        Task<(bool Found, int Tier)> lookup = OnThread(() => (store.TryGet(Key(50), buffer, out _, out int tier), tier));
        try
        {
            WaitFor(() => device.Waiting == 1, "the fetch at the gate");
            Assert.Equal(PutResult.Stored, await OnThread(() => store.Put(Key(50), BlockKey.Empty, Payload(50))).WaitAsync(Limit));
        }
        finally
        {
            device.Open();
        }

        (bool found, int servedFrom) = await lookup.WaitAsync(Limit);
        Assert.True(found);
        Assert.Equal(1, servedFrom);
        Assert.Equal(Payload(50), buffer);
        Assert.Equal(3, store.Count); // blocks 0, 1 and 50 once: the fetched copy was not adopted beside the put one
        Assert.Equal(0, store.TierOf(Key(50)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(1, stats.Lookups);
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Tiers[1].Hits);
        Assert.Equal(3, stats.Puts);
    }

    [Fact]
    public async Task Two_lookups_fetching_one_block_adopt_it_once()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        var buffers = new[] { new byte[TinyLayout.BytesPerBlock], new byte[TinyLayout.BytesPerBlock] };
        Task<bool> first = OnThread(() => store.TryGet(Key(50), buffers[0], out _));
        Task<BlockRead> second;
        try
        {
            WaitFor(() => device.Waiting == 1, "the first fetch at the gate");
            second = await OnThread(() => store.TryGetAsync(Key(50), buffers[1]).AsTask()).WaitAsync(Limit);
            WaitFor(() => device.Waiting == 2, "both fetches at the gate");
        }
        finally
        {
            device.Open();
        }

        Assert.True(await first.WaitAsync(Limit));
        Assert.True((await second.WaitAsync(Limit)).Found);
        Assert.All(buffers, b => Assert.Equal(Payload(50), b));
        Assert.Equal(3, store.Count); // blocks 0, 1 and 50, once
        Assert.Equal(0, store.TierOf(Key(50)));
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((2, 2, 2), (stats.Lookups, stats.Hits, stats.Tiers[1].Hits));
    }

    [Fact]
    public async Task A_failed_fetch_is_a_miss_the_shared_tier_could_not_be_asked()
    {
        // Before cause30 it was NotResident, as an absent block is: the fetch gave no cause.
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Failing = true;
        var buffer = new byte[TinyLayout.BytesPerBlock];

        Assert.False(store.TryGet(Key(50), buffer, out int written, out int tier, out BlockMiss miss));
        Assert.Equal((0, -1, BlockMiss.Unreachable), (written, tier, miss));
        BlockRead read = await store.TryGetAsync(Key(50), buffer);
        Assert.False(read.Found);
        Assert.Equal(BlockMiss.Unreachable, read.Miss);
        Assert.Equal(2, store.Count);
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((2, 0, 2), (stats.Lookups, stats.Hits, stats.Misses));
        Assert.Equal(2, device.Fetches);
    }

    [Fact]
    public async Task Dispose_during_a_fetch_waits_for_it_and_the_lookup_throws()
    {
        TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        Task<bool> lookup = OnThread(() => store.TryGet(Key(50), new byte[TinyLayout.BytesPerBlock], out _));
        Task dispose;
        try
        {
            WaitFor(() => device.Waiting == 1, "the fetch at the gate");
            dispose = Task.Run(store.Dispose);
            // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
            // pool start Dispose only after the gate opened, and the reads then ended normally.
            WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
            Assert.False(dispose.IsCompleted); // the device stays open until the fetch ends
        }
        finally
        {
            device.Open();
        }

        await dispose.WaitAsync(Limit);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => lookup.WaitAsync(Limit)); // nothing adopted into closed tiers
    }

    [Fact]
    public async Task A_cancelled_asynchronous_fetch_is_neither_hit_nor_miss()
    {
        using TieredKvStore store = Open(out GatedRemoteDevice device);
        device.Close();
        using var cancel = new CancellationTokenSource();
        Task<BlockRead> lookup;
        try
        {
            lookup = await OnThread(() => store.TryGetAsync(Key(50), new byte[TinyLayout.BytesPerBlock], cancel.Token).AsTask())
                .WaitAsync(Limit);
            WaitFor(() => device.Waiting == 1, "the fetch at the gate");
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup.WaitAsync(Limit));
        }
        finally
        {
            device.Open();
        }

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal((0, 0), (stats.Lookups, stats.Hits));
        Assert.False(store.Contains(Key(50)));
        Assert.True((await store.TryGetAsync(Key(50), new byte[TinyLayout.BytesPerBlock])).Found); // the next one fetches
    }
}
