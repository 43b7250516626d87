using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.LookupWindowKit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Synchronous lookups (<c>TryGet</c>) take places in their device's read window too: one that finds it full waits,
/// blocking its thread, holding no slot, reader or lock, with asynchronous lookups and batches sharing the window. A
/// synchronous read that throws gives its store reader back before it asks for the lock, so <c>Dispose</c> ends.
/// </summary>
public sealed class SyncLookupReadWindowTests
{
    [Fact]
    public async Task Synchronous_lookups_wait_for_a_place_holding_nothing()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2) { GatesSyncReads = true };
        using TieredKvStore store = Open(remote, 10, out BlockKey[] keys); // 0-5 remote
        remote.Close();

        // Each on a thread of its own, as a server's request threads: a blocked pool thread would slow the others.
        var lookups = new Task<(bool Found, int Tier, byte[] Bytes)>[4];
        for (int i = 0; i < 4; i++)
        {
            int block = i;
            lookups[i] = Task.Factory.StartNew(() =>
            {
                var destination = new byte[TinyLayout.BytesPerBlock];
                bool found = store.TryGet(keys[block], destination, out int written, out int tier);
                return (found, tier, destination[..written]);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        WaitFor(() => remote.Pending == 2, "two remote reads in flight");
        await Task.Delay(200);
        Assert.Equal(2, remote.Pending); // before, all four were at the gate

        // A put and an asynchronous lookup meanwhile: the waiting lookups hold no lock and no slot.
        Assert.Equal(PutResult.Stored, store.Put(Key(100), BlockKey.Empty, Payload(100)));
        remote.Open();

        for (int i = 0; i < 4; i++)
        {
            (bool found, int tier, byte[] bytes) = await lookups[i].WaitAsync(WaitLimit);
            Assert.True(found, $"block {i} found");
            Assert.Equal(1, tier);
            Assert.Equal(Payload(i), bytes);
        }

        Assert.Equal(2, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Synchronous_and_asynchronous_lookups_and_a_batch_share_the_window()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 3) { GatesSyncReads = true };
        using TieredKvStore store = Open(remote, 16, out BlockKey[] keys); // 0-11 remote
        remote.Close();

        var destination = new byte[4 * TinyLayout.BytesPerBlock];
        var results = new BlockRead[4];
        Task<int> batch = store.ReadBatchAsync(keys.AsMemory(0, 4), destination, results);
        var into = new byte[3][];
        Task<BlockRead>[] lookups = LookUp(store, keys, 4, 3, into);
        var sync = new Task<bool>[3];
        for (int i = 0; i < 3; i++)
        {
            int block = 7 + i;
            sync[i] = Task.Factory.StartNew(
                () => store.TryGet(keys[block], new byte[TinyLayout.BytesPerBlock], out _, out _),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        WaitFor(() => remote.Pending == 3, "three remote reads in flight");
        await Task.Delay(200);
        Assert.Equal(3, remote.Pending);
        remote.Open();

        Assert.Equal(4, await batch.WaitAsync(WaitLimit));
        for (int i = 0; i < 3; i++)
        {
            await AssertFound(lookups[i], into[i], 4 + i);
            Assert.True(await sync[i].WaitAsync(WaitLimit), $"block {7 + i} found");
        }

        Assert.Equal(3, remote.MaxInFlight);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Dispose_during_a_synchronous_read_that_throws_ends_and_the_lookup_throws()
    {
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 2) { GatesSyncReads = true };
        TieredKvStore store = Open(remote, 6, out BlockKey[] keys); // 0-1 remote
        remote.Fail(keys[0], throws: true);
        remote.Close();

        Task<bool> lookup = Task.Factory.StartNew(() => store.TryGet(keys[0], new byte[TinyLayout.BytesPerBlock], out _),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitFor(() => remote.Pending == 1, "the synchronous read at the gate");
        Task dispose = Task.Run(store.Dispose);
        // Dispose has begun (its flag is set) and waits for what is in flight: a fixed sleep let a starved thread
        // pool start Dispose only after the gate opened, and the reads then ended normally.
        WaitFor(() => store.IsDisposed, "Dispose begun, waiting for what is in flight");
        Assert.False(dispose.IsCompleted); // it waits for the read
        remote.Open();

        // Before, the failed read asked for the lock while still counted as a reader, and Dispose, holding the lock,
        // waited for that reader: both hung.
        await dispose.WaitAsync(WaitLimit);
        await Assert.ThrowsAsync<IOException>(() => lookup.WaitAsync(WaitLimit));
        Assert.Empty(remote.Violations);
    }
}
