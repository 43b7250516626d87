using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="TieredKvStore.TryGetAsync"/> and <see cref="TieredKvStore.PutAsync"/> await a device that declares
/// <see cref="IAsyncBlockDevice"/> outside the store's lock (issue #18): a device written in the test holds each
/// asynchronous call at a gate, and the tests look at the store meanwhile.
/// </summary>
public sealed class AsyncDeviceTests
{
    private static TieredKvStore Create(AwaitableDevice? top, AwaitableDevice? lower, int topCapacity = 2)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), top?.SlotCount ?? topCapacity)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = top is null ? null : (_, _) => top,
        });
        if (lower is not null)
        {
            options.Tiers.Add(new TierOptions(Profile("lower", KvTiering.Tiers.TierKind.Flash), lower.SlotCount)
            {
                Policy = EvictionPolicy.Lru,
                DeviceFactory = (_, _) => lower,
            });
        }

        return new TieredKvStore(options);
    }

    /// <summary>Three puts into a two-block top tier: block 0 lies one tier down.</summary>
    private static void FillSoBlockZeroIsBelow(TieredKvStore store)
    {
        for (int i = 0; i < 3; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        Assert.Equal(1, store.TierOf(Key(0)));
    }

    [Fact]
    public async Task A_lower_tier_hit_awaits_the_device_without_the_lock_then_promotes()
    {
        var lower = new AwaitableDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top: null, lower);
        FillSoBlockZeroIsBelow(store);
        lower.Close();
        var buffer = new byte[128];
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), buffer);
        WaitFor(() => lower.Pending == 1);
        Assert.False(pending.IsCompleted);
        Assert.Equal(PutResult.Stored, store.Put(Key(3), BlockKey.Empty, Payload(3))); // the lock is free meanwhile

        lower.Open();
        BlockRead read = await pending;
        Assert.Equal((true, 128, 1), (read.Found, read.BytesWritten, read.Tier));
        Assert.Equal(Payload(0), buffer);
        Assert.Equal(0, store.TierOf(Key(0))); // promoted once the read came back
        Assert.Equal(1, lower.AsyncReads);
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_cancelled_read_leaves_the_block_where_it_was_and_readable()
    {
        var lower = new AwaitableDevice(8, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top: null, lower);
        FillSoBlockZeroIsBelow(store);
        long lookups = store.GetStatistics().Lookups;
        lower.Close();
        using var cancel = new CancellationTokenSource();
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), new byte[128], cancel.Token);
        WaitFor(() => lower.Pending == 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(lookups, store.GetStatistics().Lookups); // neither a hit nor a miss
        lower.Open();
        var buffer = new byte[128];
        Assert.Equal(128, await store.GetAsync(Key(0), buffer));
        Assert.Equal(Payload(0), buffer);
        Assert.True(store.Remove(Key(0)));
        Assert.Empty(lower.Violations);
    }

    [Fact]
    public async Task A_put_awaits_its_write_without_the_lock_and_publishes_after_it()
    {
        var top = new AwaitableDevice(4, TinyLayout.BytesPerBlock);
        using TieredKvStore store = Create(top, lower: null);
        top.Close();
        ValueTask<PutResult> pending = store.PutAsync(Key(1), BlockKey.Empty, Payload(1));
        WaitFor(() => top.Pending == 1);
        Assert.False(pending.IsCompleted);
        Assert.Equal(-1, store.TierOf(Key(1))); // not visible before its bytes are in
        Assert.False(store.TryGet(Key(1), new byte[128], out _));

        top.Open();
        Assert.Equal(PutResult.Stored, await pending);
        Assert.Equal(0, store.TierOf(Key(1)));
        Assert.Equal(1, top.AsyncWrites);
        var buffer = new byte[128];
        Assert.Equal(128, await store.GetAsync(Key(1), buffer));
        Assert.Equal(Payload(1), buffer);
        Assert.Empty(top.Violations);
    }

    [Fact]
    public async Task Flash_reads_and_writes_round_trip_asynchronously_and_a_cancelled_read_changes_nothing()
    {
        using var temp = new TempDirectory();
        using var flash = new FlashDevice(temp.Sub("flash"), 4, 5000);
        byte[] payload = Payload(7, 3000);
        await flash.WriteAsync(2, Key(7), BlockKey.Empty, payload, CancellationToken.None);
        var buffer = new byte[5000];
        Assert.Equal(3000, await flash.ReadAsync(2, Key(7), buffer, CancellationToken.None));
        Assert.Equal(payload, buffer[..3000]);
        Assert.Equal(-1, await flash.ReadAsync(2, Key(8), buffer, CancellationToken.None)); // another key: a miss
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await flash.ReadAsync(2, Key(7), buffer, new CancellationToken(canceled: true)));
        Assert.Equal(3000, flash.Read(2, Key(7), buffer)); // the synchronous path reads what the asynchronous one wrote
        Assert.Equal(payload, buffer[..3000]);
    }
}
