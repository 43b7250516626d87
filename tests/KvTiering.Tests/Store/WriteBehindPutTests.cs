using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A put that lands directly in a write-behind tier (DRAM declines it, as the agent policy's bypass does for a session
/// it expects back last) is queued like a staged demotion: its bytes copied into a staging buffer, the block bound in
/// flight and served from there, the device write left to the worker (docs/history/reliability.md, "After direct28"). Before,
/// each such put wrote the remote synchronously, on the request.
/// </summary>
public sealed class WriteBehindPutTests
{
    private static TieredKvStore Create(KvTiering.Devices.IBlockDevice remote, int queue)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = queue };
        options.Tiers.Add(new TierOptions(Profile("dram"), 2)
        {
            Policy = EvictionPolicy.Create("bypassing", () => new BypassingPolicy { Bypass = true }),
        });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Flash), remote.SlotCount)
        {
            Policy = EvictionPolicies.Clock,
            DeviceFactory = (_, _) => remote,
            WriteBehind = true,
        });
        return new TieredKvStore(options);
    }

    private static void AssertReads(TieredKvStore store, int block)
    {
        var buffer = new byte[128];
        Assert.True(store.TryGet(Key(block), buffer, out int written, out int tier), $"block {block} readable");
        Assert.Equal(1, tier);
        Assert.Equal(Payload(block), buffer[..written]);
    }

    [Fact]
    public async Task A_put_into_a_windowed_remote_returns_before_its_write_lands_and_reads_back_meanwhile()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 8);
        remote.Close();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
            Assert.Equal(1, store.TierOf(Key(i)));
        }

        WaitFor(() => remote.PendingWrites == 3, "the three puts' writes in flight at the gate");
        Assert.Equal(0, remote.SyncWrites); // none written on the put's path
        for (int i = 0; i < 3; i++)
        {
            AssertReads(store, i); // from the staged copy
        }

        // A batch read (a snapshot restore's) is served from the staged copies too.
        var keys = new[] { Key(0), Key(1), Key(2) };
        var destination = new byte[3 * store.BlockBytes];
        var results = new BlockRead[3];
        Assert.Equal(3, await store.ReadBatchAsync(keys, destination, results));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Payload(i), destination.AsSpan(i * store.BlockBytes, results[i].BytesWritten).ToArray());
        }

        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        for (int i = 0; i < 3; i++)
        {
            AssertReads(store, i); // from the device now
        }

        StoreStatistics stats = store.GetStatistics();
        Assert.Equal(3, stats.Tiers[1].Inserts);
        Assert.Equal(0, stats.Tiers[1].WriteFailures);
        Assert.Equal(0, stats.Tiers[1].WriteBehindOverflows);
        Assert.Equal(3, remote.LandedWrites);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public void A_put_into_a_remote_written_one_at_a_time_does_not_wait_for_the_device()
    {
        var remote = new GatedDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(remote, queue: 4);
        remote.Close();
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0))); // before: held at the gate (10 s)
        WaitFor(() => remote.Waiting == 1, "the worker's write at the gate");
        Assert.Equal(0, remote.Writes);
        AssertReads(store, 0);
        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, remote.Writes);
        AssertReads(store, 0);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public void A_failing_write_drops_only_its_block()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 8);
        remote.Fail(Key(1), io: true);
        remote.Close();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // before: block 1 Dropped
        }

        WaitFor(() => remote.PendingWrites == 4, "four writes in flight, one of them failing");
        AssertReads(store, 1); // the staged copy, until its write fails
        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.GetStatistics().Tiers[1].WriteFailures);
        Assert.False(store.Contains(Key(1)));
        Assert.False(store.TryGet(Key(1), new byte[128], out _)); // a miss, never another block's bytes
        foreach (int i in new[] { 0, 2, 3 })
        {
            AssertReads(store, i);
        }

        Assert.Equal(0, remote.SyncWrites);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public void A_remove_while_the_put_is_in_flight_wins_and_its_slot_is_used_again()
    {
        var remote = new WindowedWriteDevice(4, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 8);
        remote.Close();
        store.Put(Key(0), BlockKey.Empty, Payload(0));
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        WaitFor(() => remote.PendingWrites == 2, "both puts' writes in flight");
        Assert.True(store.Remove(Key(0)));
        Assert.False(store.Contains(Key(0)));
        Assert.False(store.TryGet(Key(0), new byte[128], out _));
        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.False(store.TryGet(Key(0), new byte[128], out _));
        AssertReads(store, 1);

        // Block 0's slot was freed after its write ended: three more fill the remote's four slots, none evicted.
        for (int i = 2; i < 5; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].Evictions);
        for (int i = 1; i < 5; i++)
        {
            AssertReads(store, i);
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Dispose_lands_every_queued_put()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        TieredKvStore store = Create(remote, queue: 8);
        remote.Close();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }

        WaitFor(() => remote.PendingWrites == 4, "a window of writes in flight, two more queued");
        Task disposing = Task.Run(store.Dispose);
        remote.Open();
        await disposing;
        Assert.Equal(6, remote.LandedWrites);
        Assert.Equal(0, remote.SyncWrites);
        var buffer = new byte[128];
        for (int i = 0; i < 6; i++)
        {
            int slot = Enumerable.Range(0, remote.SlotCount).Single(s => remote.Read(s, Key(i), buffer) >= 0);
            Assert.Equal(Payload(i), buffer[..remote.Read(slot, Key(i), buffer)]);
        }

        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_put_async_completes_before_its_write_lands()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 8);
        remote.Close();
        for (int i = 0; i < 3; i++)
        {
            ValueTask<PutResult> put = store.PutAsync(Key(i), BlockKey.Empty, Payload(i));
            Assert.True(put.IsCompleted, $"put {i} waited for the device"); // before: it awaited the gated write
            Assert.Equal(PutResult.Stored, await put);
        }

        WaitFor(() => remote.PendingWrites == 3, "the three puts' writes in flight at the gate");
        for (int i = 0; i < 3; i++)
        {
            AssertReads(store, i);
        }

        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        for (int i = 0; i < 3; i++)
        {
            AssertReads(store, i);
        }

        Assert.Equal(3, remote.LandedWrites);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_put_async_finding_the_queue_full_awaits_room_without_a_thread_and_is_written_behind()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 2);
        remote.Close();
        Assert.Equal(PutResult.Stored, await store.PutAsync(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.Stored, await store.PutAsync(Key(1), BlockKey.Empty, Payload(1))); // both job slots taken
        WaitFor(() => remote.PendingWrites == 2, "both writes in flight at the gate");

        // The call returns with the put waiting (a spin-wait would have held this thread inside it); before, the put
        // found no job slot under the lock and wrote the device itself, counted as an overflow.
        ValueTask<PutResult> third = store.PutAsync(Key(2), BlockKey.Empty, Payload(2));
        Assert.False(third.IsCompleted);
        Assert.Equal(2, remote.PendingWrites);
        Assert.False(store.Contains(Key(2)));
        remote.Open();
        Assert.Equal(PutResult.Stored, await third);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows);
        for (int i = 0; i < 3; i++)
        {
            AssertReads(store, i);
        }

        Assert.Equal(3, remote.LandedWrites);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task A_put_async_waiting_for_room_ends_on_cancellation_with_nothing_stored()
    {
        var remote = new WindowedWriteDevice(16, TinyLayout.BytesPerBlock, readWindow: 4, writeWindow: 4);
        using TieredKvStore store = Create(remote, queue: 1);
        remote.Close();
        await store.PutAsync(Key(0), BlockKey.Empty, Payload(0));
        using var cancel = new CancellationTokenSource();
        ValueTask<PutResult> waiting = store.PutAsync(Key(1), BlockKey.Empty, Payload(1), cancel.Token);
        Assert.False(waiting.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        Assert.False(store.Contains(Key(1)));
        remote.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(PutResult.Stored, await store.PutAsync(Key(1), BlockKey.Empty, Payload(1)));
        WaitFor(() => store.WriteBehindPending == 0);
        AssertReads(store, 0);
        AssertReads(store, 1);
        Assert.Empty(remote.Violations);
    }
}
