using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class StoreFlushTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    private static void PutAll(TieredKvStore store, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }
    }

    [Fact]
    public void Flush_moves_every_memory_block_down_to_flash_through_the_tiers_between()
    {
        using TieredKvStore store = CreateWithFlash(Dir, [2, 3], 16);
        PutAll(store, 5);
        Assert.Equal(0, store.GetStatistics().Tiers[2].ResidentBlocks);

        Assert.Equal(5, store.Flush()); // tier 0 empties into tier 1, which empties into flash
        StoreStatistics stats = store.GetStatistics();
        Assert.Equal([0, 0, 5], stats.Tiers.Select(t => t.ResidentBlocks));
        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < 5; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int n));
            Assert.Equal(Payload(i), buffer[..n]);
        }
    }

    [Fact]
    public void With_FlushOnDispose_memory_blocks_survive_a_restart()
    {
        var options = new KvStoreOptions { Layout = TinyLayout, FlushOnDispose = true };
        options.Tiers.Add(new TierOptions(Profile("t0"), 4));
        options.Tiers.Add(new TierOptions(Profile("flash", KvTiering.Tiers.TierKind.Flash), 16) { Directory = Dir });
        using (var store = new TieredKvStore(options))
        {
            PutAll(store, 3);
        }

        using TieredKvStore reopened = CreateWithFlash(Dir, [4], 16);
        Assert.Equal(3, reopened.Count);
        var buffer = new byte[reopened.BlockBytes];
        Assert.True(reopened.TryGet(Key(2), buffer, out int n));
        Assert.Equal(Payload(2), buffer[..n]);
    }

    [Fact]
    public void When_flash_is_smaller_the_blocks_its_policy_values_least_are_the_ones_dropped()
    {
        using TieredKvStore store = CreateWithFlash(Dir, [8], 3);
        PutAll(store, 6);
        var buffer = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), buffer, out _)); // block 0 becomes the most recently used

        store.Flush();
        Assert.Equal(3, store.Count);
        Assert.True(store.Contains(Key(0)));
        Assert.True(store.Contains(Key(5)));
        Assert.True(store.Contains(Key(4)));
    }

    [Fact]
    public void Pinned_blocks_stay_in_memory_and_a_store_without_flash_flushes_nothing()
    {
        using TieredKvStore store = CreateWithFlash(Dir, [4], 8);
        PutAll(store, 2);
        Assert.True(store.Pin(Key(1)));
        Assert.Equal(1, store.Flush());
        Assert.Equal(0, store.TierOf(Key(1)));
        Assert.Equal(1, store.TierOf(Key(0)));

        using TieredKvStore memoryOnly = Create(4, 4);
        PutAll(memoryOnly, 3);
        Assert.Equal(0, memoryOnly.Flush());
        Assert.Equal(3, memoryOnly.GetStatistics().Tiers[0].ResidentBlocks);
    }

    [Fact]
    public void Flush_after_dispose_throws()
    {
        TieredKvStore store = Create(4);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Flush());
    }
}
