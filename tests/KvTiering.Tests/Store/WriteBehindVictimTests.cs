using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Room in a write-behind tier whose victims are still being written (docs/history/reliability.md, "After direct28"): such a
/// victim frees no slot until its write lands, so evicting it made no room and lost it, and the next victims went
/// too, up to four. Now it is not evicted: a put waits for the worker's next booking and asks again, so one block
/// leaves, as when nothing is in flight.
/// </summary>
public sealed class WriteBehindVictimTests
{
    private static TieredKvStore Create(WindowedWriteDevice remote, bool bypass, int top)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 8 };
        options.Tiers.Add(new TierOptions(Profile("dram"), top)
        {
            Policy = EvictionPolicy.Create("bypassing", () => new BypassingPolicy { Bypass = bypass }),
        });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Flash), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
            WriteBehind = true,
        });
        return new TieredKvStore(options);
    }

    private static void AssertReads(TieredKvStore store, int block)
    {
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(block), buffer, out int written), $"block {block} readable");
        Assert.Equal(Payload(block), buffer[..written]);
    }

    [Fact]
    public async Task A_put_into_a_remote_whose_victims_are_all_in_flight_waits_and_evicts_one()
    {
        var remote = new WindowedWriteDevice(4, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, bypass: true, top: 2);
        remote.Close();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // the remote full, all in flight
        }

        WaitFor(() => remote.PendingWrites == 4, "the four writes in flight");
        Task<PutResult> fifth = Task.Run(() => store.Put(Key(4), BlockKey.Empty, Payload(4)));
        remote.Open(); // before: the fifth evicted all four (none freed a slot) and was Rejected
        Assert.Equal(PutResult.Stored, await fifth);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.GetStatistics().Tiers[1].Evictions);
        Assert.Equal(4, store.Count);
        Assert.False(store.Contains(Key(0))); // the LRU victim, once its write had landed
        for (int i = 1; i < 5; i++)
        {
            AssertReads(store, i);
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_demotion_into_a_remote_whose_victims_are_all_in_flight_waits_and_evicts_one()
    {
        var remote = new WindowedWriteDevice(4, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, bypass: false, top: 1);
        remote.Close();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // blocks 0-3 demoted, in flight
        }

        WaitFor(() => remote.PendingWrites == 4, "the four demotions in flight");
        Task<PutResult> sixth = Task.Run(() => store.Put(Key(5), BlockKey.Empty, Payload(5)));
        remote.Open(); // before: block 4's demotion evicted all four in flight, found no slot, and block 4 left too
        Assert.Equal(PutResult.Stored, await sixth);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.GetStatistics().Tiers[1].Evictions);
        Assert.Equal(5, store.Count);
        Assert.Equal(0, store.TierOf(Key(5)));
        Assert.Equal(1, store.TierOf(Key(4)));

        // Read without moving anything (a hit would promote into the one-slot DRAM tier and push a block out).
        BlockKey[] keys = [.. Enumerable.Range(1, 5).Select(Key)];
        var destination = new byte[keys.Length * store.BlockBytes];
        var results = new BlockRead[keys.Length];
        Assert.Equal(5, await store.ReadBatchAsync(keys, destination, results));
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(Payload(i + 1), destination.AsSpan(i * store.BlockBytes, results[i].BytesWritten).ToArray());
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_put_async_waiting_for_a_victim_in_flight_holds_no_thread()
    {
        var remote = new WindowedWriteDevice(2, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, bypass: true, top: 2);
        remote.Close();
        await store.PutAsync(Key(0), BlockKey.Empty, Payload(0));
        await store.PutAsync(Key(1), BlockKey.Empty, Payload(1));
        WaitFor(() => remote.PendingWrites == 2, "both writes in flight");
        ValueTask<PutResult> third = store.PutAsync(Key(2), BlockKey.Empty, Payload(2));
        Assert.False(third.IsCompleted); // the call returned with the put waiting for a booking
        Assert.False(store.Contains(Key(2)));
        remote.Open();
        Assert.Equal(PutResult.Stored, await third);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(2, store.Count);
        AssertReads(store, 1);
        AssertReads(store, 2);
        Assert.Empty(remote.Violations);
    }
}
