using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Puts waiting for room in a full write-behind queue get it in arrival order, one freed job slot to one put
/// (<see cref="WriteBehindSlots"/>). Before (session writers32), every freed slot woke every waiting put and they raced
/// for it: a put beside a faster writer lost, waited again, and lost again (its slowest puts waited 12 ms for room at
/// 64 KiB on flash), and a put that passed the wait could still find the slot gone under the lock and write on its own
/// path. The device here lands exactly as many writes as the test allows, so each step is decided, not timed.
/// </summary>
public sealed class WriteBehindRoomTests
{
    private static TieredKvStore Create(MeteredDevice slow, int queue)
    {
        // DRAM declines every put, so each put lands in the write-behind tier itself and needs one job slot.
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = queue };
        options.Tiers.Add(new TierOptions(Profile("dram"), 2)
        {
            Policy = EvictionPolicy.Create("bypassing", () => new BypassingPolicy { Bypass = true }),
        });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = EvictionPolicies.Clock,
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        return new TieredKvStore(options);
    }

    private static int[] Completed(Task<PutResult>[] puts) =>
        Enumerable.Range(0, puts.Length).Where(i => puts[i].IsCompleted).ToArray();

    [Fact]
    public async Task Puts_waiting_for_room_get_it_in_arrival_order_one_freed_slot_each()
    {
        const int waiting = 12;
        var slow = new MeteredDevice(64, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(slow, queue: 1);
        Assert.Equal(PutResult.Stored, await store.PutAsync(Key(0), BlockKey.Empty, Payload(0))); // takes the one job slot
        WaitFor(() => slow.Waiting == 1, "block 0's write at the device");
        var puts = new Task<PutResult>[waiting];
        for (int i = 0; i < waiting; i++)
        {
            puts[i] = store.PutAsync(Key(1 + i), BlockKey.Empty, Payload(1 + i)).AsTask(); // each waits for room, in this order
            Assert.False(puts[i].IsCompleted);
        }

        for (int landed = 1; landed <= waiting; landed++)
        {
            slow.Allow(1); // the write ahead lands and frees the slot: the oldest waiting put, and only it, goes on
            int expected = landed;
            WaitFor(() => Completed(puts).Length == expected && slow.Waiting == 1, $"put {expected} of {waiting} stored, its write queued");
            Assert.Equal(Enumerable.Range(0, landed), Completed(puts));
            Assert.Equal(PutResult.Stored, await puts[landed - 1]);
            Assert.True(store.Contains(Key(landed)));
        }

        slow.Allow(1);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows); // none written on a put's own path
        Assert.Equal(waiting + 1, slow.Writes);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public async Task A_cancelled_wait_passes_its_turn_to_the_next_put()
    {
        var slow = new MeteredDevice(16, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(slow, queue: 1);
        await store.PutAsync(Key(0), BlockKey.Empty, Payload(0));
        WaitFor(() => slow.Waiting == 1, "block 0's write at the device");
        using var cancel = new CancellationTokenSource();
        ValueTask<PutResult> first = store.PutAsync(Key(1), BlockKey.Empty, Payload(1));
        ValueTask<PutResult> cancelled = store.PutAsync(Key(2), BlockKey.Empty, Payload(2), cancel.Token);
        ValueTask<PutResult> third = store.PutAsync(Key(3), BlockKey.Empty, Payload(3));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);

        slow.Allow(1);
        Assert.Equal(PutResult.Stored, await first);
        WaitFor(() => slow.Waiting == 1, "block 1's write at the device");
        Assert.False(third.IsCompleted); // one freed slot, one put

        slow.Allow(1);
        Assert.Equal(PutResult.Stored, await third); // the cancelled put's turn went to the next in line
        slow.Allow(1);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.False(store.Contains(Key(2)));
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows);
        Assert.Equal(3, slow.Writes);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public async Task A_put_that_needs_no_job_slot_gives_its_promise_back()
    {
        var slow = new MeteredDevice(16, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(slow, queue: 2);
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        for (int i = 0; i < 20; i++)
        {
            // Each is promised the free slot before the lock and finds its block resident: the promise goes back.
            Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        }

        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1))); // the second slot, at once
        ValueTask<PutResult> third = store.PutAsync(Key(2), BlockKey.Empty, Payload(2));
        Assert.False(third.IsCompleted); // both slots in flight: it waits
        slow.Allow(3);
        Assert.Equal(PutResult.Stored, await third);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows);
        Assert.Equal(3, slow.Writes);
        Assert.Empty(slow.Violations);
    }

    [Fact]
    public void A_put_whose_victim_takes_the_last_job_slot_stages_it_rather_than_write_a_second_victim_itself()
    {
        // A DRAM tier of 8 (the least that holds victims) over the slow tier, one job slot. The slow tier's policy admits
        // every block without declaring it, so no victim is held ahead of need and DRAM stays full with none held.
        var slow = new MeteredDevice(64, TinyLayout.BytesPerBlock);
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 1 };
        options.Tiers.Add(new TierOptions(Profile("dram"), 8) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = EvictionPolicy.Create("admit-all", () => new BypassingPolicy()),
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i))); // fills DRAM, nothing written
        }

        // The ninth put evicts block 0. Before, block 0 was held for the worker (its slot freed once written), so the put
        // evicted block 1 too and, the one job slot taken, wrote it to the device on its own path (an overflow).
        slow.Allow(2);
        Assert.Equal(PutResult.Stored, store.Put(Key(8), BlockKey.Empty, Payload(8)));
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows); // every write the worker's
        slow.Allow(32); // the reads below promote, and their victims demote
        var buffer = new byte[128];
        for (int i = 0; i <= 8; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
            Assert.Equal(Payload(i), buffer[..written]);
        }

        Assert.Empty(slow.Violations);
    }

    [Fact]
    public async Task A_put_waiting_for_room_gets_the_slot_of_a_landed_write_without_waiting_for_the_next_one()
    {
        var slow = new MeteredDevice(16, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(slow, queue: 2);
        Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        Assert.Equal(PutResult.Stored, store.Put(Key(1), BlockKey.Empty, Payload(1))); // both job slots taken
        WaitFor(() => slow.Waiting == 1, "block 0's write at the device, block 1's queued behind it");
        ValueTask<PutResult> third = store.PutAsync(Key(2), BlockKey.Empty, Payload(2));
        Assert.False(third.IsCompleted);

        // Block 0's write lands while another thread holds the store's lock (a put, a promotion). Before, the worker
        // found the lock busy, went on to write block 1 and held block 0's slot until a batch was booked: the waiting put
        // waited for a write it did not need. Now a waiting put makes the worker book at once, when the lock is free.
        store.TopReader.Lock.Enter();
        try
        {
            slow.Allow(1);
            WaitFor(() => slow.Writes == 1, "block 0's write landed");
            SpinWait.SpinUntil(() => slow.Waiting == 1, TimeSpan.FromSeconds(2)); // before: the worker at block 1's write
        }
        finally
        {
            store.TopReader.Lock.Exit();
        }

        Assert.Equal(PutResult.Stored, await third.AsTask().WaitAsync(TimeSpan.FromSeconds(10))); // block 1's write still held
        Assert.Equal(1, slow.Writes);
        slow.Allow(2);
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteBehindOverflows);
        Assert.Empty(slow.Violations);
    }
}
