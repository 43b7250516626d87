using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.Holds"/>: which of a set of keys the store holds, its tiers or, for the keys they lack, its
/// shared tier (<see cref="IRemoteBlockSource.Holds"/>) asked about all of them in one query, outside the store's lock.
/// What a server that never held a session calls to find its snapshot (fleet30); <c>Contains</c> reads the table only.
/// </summary>
public sealed class StoreHoldsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);
    private readonly Dictionary<BlockKey, (BlockKey Parent, byte[] Bytes)> _shared = [];

    private TieredKvStore Create(out SharedFakeDevice device)
    {
        SharedFakeDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new SharedFakeDevice(_shared, slots, bytes),
        });
        var store = new TieredKvStore(options);
        device = created!;
        return store;
    }

    [Fact]
    public void Keys_the_tiers_lack_are_asked_of_the_shared_tier_in_one_query()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        _shared[Key(7)] = (BlockKey.Empty, Payload(7)); // another store's block
        _shared[Key(9)] = (BlockKey.Empty, Payload(9));
        BlockKey[] keys = [Key(9), Key(1), Key(5), BlockKey.Empty, Key(7)];
        var held = new bool[keys.Length];

        Assert.Equal(3, store.Holds(keys, held));
        Assert.Equal([true, true, false, false, true], held);
        Assert.Equal(1, device.HoldsQueries);
        Assert.Equal([Key(9), Key(5), Key(7)], device.LastAsked); // not the local one, not the empty one
        Assert.Equal(0, device.Fetches); // nothing read, nothing moved
        Assert.False(store.Contains(Key(7)));
        Assert.False(store.Contains(Key(9)));
    }

    [Fact]
    public void Keys_the_tiers_hold_make_no_round_trip()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        Assert.Equal(PutResult.Stored, store.Put(Key(2), Key(1), Payload(2)));
        var held = new bool[2];

        Assert.Equal(2, store.Holds([Key(1), Key(2)], held));
        Assert.Equal([true, true], held);
        Assert.Equal(0, device.HoldsQueries);
        Assert.Equal(0, store.Holds([], []));
        Assert.Equal(0, device.HoldsQueries);
    }

    [Fact]
    public void A_shared_tier_that_cannot_be_asked_holds_nothing_and_does_not_throw()
    {
        using TieredKvStore store = Create(out SharedFakeDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        _shared[Key(7)] = (BlockKey.Empty, Payload(7));
        device.FailingWith = ReadFailure.Unreachable;
        var held = new bool[] { true, true };

        Assert.Equal(1, store.Holds([Key(1), Key(7)], held));
        Assert.Equal([true, false], held);
    }

    [Fact]
    public void Without_a_shared_tier_only_the_tiers_answer()
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        using var store = new TieredKvStore(options);
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1)));
        var held = new bool[2];

        Assert.Equal(1, store.Holds([Key(2), Key(1)], held));
        Assert.Equal([false, true], held);
    }

    [Fact]
    public void Too_short_an_answer_span_is_an_error_naming_it()
    {
        using TieredKvStore store = Create(out _);
        var error = Assert.Throws<ArgumentException>(() => store.Holds([Key(1), Key(2)], new bool[1]));
        Assert.Equal("held", error.ParamName);
        Assert.Contains("1 places for 2 keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_store_throws()
    {
        TieredKvStore store = Create(out _);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Holds([Key(1)], new bool[1]));
    }

    [Fact]
    public async Task The_default_implementation_asks_key_by_key_outside_the_lock()
    {
        // GatedRemoteDevice does not implement Holds: the interface's default asks MatchPrefix one key at a time.
        var shared = new ConcurrentDictionary<BlockKey, byte[]>();
        GatedRemoteDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 8));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new GatedRemoteDevice(slots, bytes, shared),
        });
        using var store = new TieredKvStore(options);
        GatedRemoteDevice device = created!;
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        shared[Key(60)] = Payload(60);
        device.Close();
        var held = new bool[3];
        Task<int> query = Task.Factory.StartNew(() => store.Holds([Key(61), Key(0), Key(60)], held), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            WaitFor(() => device.Waiting == 1, "the query at the gate");
            await Task.Factory.StartNew(() =>
            {
                // Puts and top-tier hits go on while the shared tier is asked.
                Assert.Equal(PutResult.Stored, store.Put(Key(2), BlockKey.Empty, Payload(2)));
                Assert.True(store.TryGet(Key(0), new byte[TinyLayout.BytesPerBlock], out _));
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(Limit);
            Assert.False(query.IsCompleted);
        }
        finally
        {
            device.Open();
        }

        Assert.Equal(2, await query.WaitAsync(Limit));
        Assert.Equal([false, true, true], held);
        Assert.Equal(2, device.Queries); // one per key the tiers lack
    }
}
