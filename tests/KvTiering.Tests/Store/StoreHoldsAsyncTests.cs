using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.HoldsAsync"/>: <see cref="TieredKvStore.Holds"/> with the shared tier's query awaited, so a
/// restore looking for its snapshot (the agent server's, on a thread-pool thread) holds no thread for the round trip.
/// </summary>
public sealed class StoreHoldsAsyncTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    private static TieredKvStore Create(ConcurrentDictionary<BlockKey, byte[]> shared, out GatedRemoteDevice device)
    {
        GatedRemoteDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 8));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new GatedRemoteDevice(slots, bytes, shared),
        });
        var store = new TieredKvStore(options);
        device = created!;
        return store;
    }

    [Fact]
    public async Task The_query_is_awaited_and_the_callers_thread_returns_while_it_is_in_flight()
    {
        var shared = new ConcurrentDictionary<BlockKey, byte[]>();
        using TieredKvStore store = Create(shared, out GatedRemoteDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        shared[Key(60)] = Payload(60);
        device.Close();
        BlockKey[] keys = [Key(61), Key(0), Key(60), BlockKey.Empty];
        var held = new bool[keys.Length];

        ValueTask<int> pending = store.HoldsAsync(keys, held); // returns at the gate: no thread waits there
        Assert.False(pending.IsCompleted);
        Assert.Equal(1, device.Waiting);
        Assert.Equal(PutResult.Stored, store.Put(Key(2), BlockKey.Empty, Payload(2))); // the lock is free meanwhile
        Assert.True(store.TryGet(Key(0), new byte[TinyLayout.BytesPerBlock], out _));

        device.Open();
        Assert.Equal(2, await pending.AsTask().WaitAsync(Limit));
        Assert.Equal([false, true, true, false], held);
        Assert.Equal(1, device.Queries); // one query for the two keys the tiers lack
        Assert.Equal(0, device.Fetches);
    }

    [Fact]
    public async Task Keys_the_tiers_hold_are_answered_at_once_without_the_shared_tier()
    {
        var shared = new ConcurrentDictionary<BlockKey, byte[]>();
        using TieredKvStore store = Create(shared, out GatedRemoteDevice device);
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        device.Close();
        var held = new bool[1];

        ValueTask<int> answered = store.HoldsAsync(new[] { Key(0) }, held);
        Assert.True(answered.IsCompletedSuccessfully);
        Assert.Equal(1, await answered);
        Assert.Equal(0, device.Queries);
        device.Open();
    }

    [Fact]
    public async Task A_cancelled_query_throws_and_a_disposed_store_or_a_short_span_is_refused()
    {
        var shared = new ConcurrentDictionary<BlockKey, byte[]>();
        TieredKvStore store = Create(shared, out GatedRemoteDevice device);
        device.Close();
        using var cancel = new CancellationTokenSource();
        ValueTask<int> pending = store.HoldsAsync(new[] { Key(5) }, new bool[1], cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Limit));
        Assert.Equal(0, device.Waiting);

        Assert.Equal("held", (await Assert.ThrowsAsync<ArgumentException>(() => store.HoldsAsync(new[] { Key(5) }, Array.Empty<bool>()).AsTask())).ParamName);
        device.Open();
        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.HoldsAsync(new[] { Key(5) }, new bool[1]).AsTask());
    }

    [Fact]
    public async Task A_source_without_an_awaitable_query_is_asked_through_the_default()
    {
        var shared = new Dictionary<BlockKey, (BlockKey Parent, byte[] Bytes)> { [Key(7)] = (BlockKey.Empty, Payload(7)) };
        SharedFakeDevice? created = null;
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        options.Tiers.Add(new TierOptions(Profile("shared", TierKind.Remote), 16)
        {
            DeviceFactory = (slots, bytes) => created = new SharedFakeDevice(shared, slots, bytes),
        });
        using var store = new TieredKvStore(options);
        var held = new bool[2];

        Assert.Equal(1, await store.HoldsAsync(new[] { Key(7), Key(8) }, held));
        Assert.Equal([true, false], held);
        Assert.Equal(1, created!.HoldsQueries);
    }
}
