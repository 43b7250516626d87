using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// The write-behind worker keeps a device's <see cref="Devices.IConcurrentWrites.WriteWindow"/> of demotion writes in
/// flight (WriteBehindWindow), and every rule of write-behind still holds: a block is served from its
/// staged copy until its write lands, a Remove meanwhile wins, a failed write fails only its block, Dispose waits.
/// </summary>
public sealed class WriteBehindWindowTests
{
    private static TieredKvStore Create(WindowedWriteDevice lower, int top, int queue = 16)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = queue };
        options.Tiers.Add(new TierOptions(Profile("dram"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", KvTiering.Tiers.TierKind.Flash), lower.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => lower,
            WriteBehind = true,
        });
        return new TieredKvStore(options);
    }

    private static void AssertIntact(TieredKvStore store, int count, params int[] gone)
    {
        var buffer = new byte[128];
        for (int i = 0; i < count; i++)
        {
            if (gone.Contains(i))
            {
                Assert.False(store.Contains(Key(i)), $"block {i} gone");
                continue;
            }

            Assert.True(store.TryGet(Key(i), buffer, out int written), $"block {i} readable");
            Assert.Equal(Payload(i), buffer[..written]);
        }
    }

    [Theory]
    [InlineData(2)]  // every victim staged in a buffer
    [InlineData(16)] // the first victims held in their source slots (no copy), the rest staged
    public void The_worker_keeps_the_devices_window_of_writes_in_flight_and_each_block_reads_back_meanwhile(int top)
    {
        var lower = new WindowedWriteDevice(64, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 8);
        using TieredKvStore store = Create(lower, top);
        lower.Close();
        for (int i = 0; i < top + 8; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // eight demotions or more (a held victim leaves one put early)
        }

        WaitFor(() => lower.PendingWrites == 8, "eight writes in flight at once");
        Assert.Equal(0, lower.SyncWrites);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(1, store.TierOf(Key(i))); // bound below, served from its staged copy until its write lands
            Assert.True(store.Contains(Key(i)));
        }

        lower.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(8, lower.MaxWritesInFlight);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteFailures);
        AssertIntact(store, top + 8);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public void No_more_than_the_window_is_in_flight_and_the_rest_wait_their_turn()
    {
        var lower = new WindowedWriteDevice(64, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 4);
        using TieredKvStore store = Create(lower, top: 2);
        lower.Close();
        for (int i = 0; i < 12; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // ten demotions, four in flight
        }

        WaitFor(() => lower.PendingWrites == 4, "four writes in flight");
        Assert.Equal(10, store.WriteBehindPending);
        lower.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(4, lower.MaxWritesInFlight);
        Assert.Equal(10, lower.LandedWrites);
        AssertIntact(store, 12);
        Assert.Empty(lower.Violations);
    }

    [Theory]
    [InlineData(true)]  // an IOException
    [InlineData(false)] // anything else (a device bug): still only its block
    public void A_write_failing_among_many_fails_only_its_block(bool io)
    {
        var lower = new WindowedWriteDevice(64, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 8);
        using TieredKvStore store = Create(lower, top: 2);
        lower.Fail(Key(3), io);
        lower.Close();
        for (int i = 0; i < 10; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => lower.PendingWrites == 8, "eight writes in flight, one of them failing");
        lower.Open();
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.GetStatistics().Tiers[1].WriteFailures);
        AssertIntact(store, 10, gone: 3);

        store.Put(Key(10), BlockKey.Empty, Payload(10)); // the worker goes on writing after the failure
        store.Put(Key(11), BlockKey.Empty, Payload(11));
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(1, store.GetStatistics().Tiers[1].WriteFailures);
        AssertIntact(store, 12, gone: 3);
        Assert.Equal(0, lower.SyncWrites);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public void Writes_landing_out_of_order_are_each_booked_and_a_remove_meanwhile_wins()
    {
        var lower = new WindowedWriteDevice(64, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 8);
        using TieredKvStore store = Create(lower, top: 2);
        for (int i = 0; i < 4; i++)
        {
            lower.Hold(Key(i));
        }

        for (int i = 0; i < 6; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i)); // blocks 0 to 3 demoted, each held at its own gate
        }

        WaitFor(() => lower.PendingWrites == 4, "four writes in flight");
        for (int i = 3; i >= 1; i--)
        {
            lower.Release(Key(i)); // the newest lands first
            int landed = 4 - i;
            WaitFor(() => lower.LandedWrites == landed, $"write {i} landed");
        }

        Assert.True(store.Remove(Key(2))); // landed, and its entry removed: the remove wins, the slot is freed after
        Assert.True(store.Contains(Key(0))); // still in flight, served from its staged copy
        lower.Release(Key(0));
        WaitFor(() => store.WriteBehindPending == 0);
        Assert.Equal(0, store.GetStatistics().Tiers[1].WriteFailures);
        Assert.Equal(3, store.GetStatistics().Tiers[1].ResidentBlocks);
        AssertIntact(store, 6, gone: 2);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task Dispose_waits_for_the_writes_in_flight()
    {
        var lower = new WindowedWriteDevice(64, TinyLayout.BytesPerBlock, readWindow: 8, writeWindow: 8);
        TieredKvStore store = Create(lower, top: 2);
        lower.Close();
        for (int i = 0; i < 8; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        WaitFor(() => lower.PendingWrites == 6, "six writes in flight");
        Task dispose = Task.Run(store.Dispose);
        await Task.Delay(200);
        Assert.False(dispose.IsCompleted, "Dispose returned with writes in flight");
        lower.Open();
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(6, lower.LandedWrites);
        Assert.Equal(6, Enumerable.Range(0, lower.SlotCount).Count(slot => lower.PayloadLength(slot) > 0));

        Assert.Empty(lower.Violations);
    }
}
