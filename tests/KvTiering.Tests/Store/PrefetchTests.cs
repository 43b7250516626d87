using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class PrefetchTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static BlockKey[] PutChain(TieredKvStore store, int count)
    {
        var keys = new BlockKey[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(PutResult.Stored, store.Put(Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i)));
        }

        return keys;
    }

    private static void AssertEveryByte(TieredKvStore store, int count)
    {
        var buffer = new byte[store.BlockBytes];
        for (int i = 0; i < count; i++)
        {
            if (store.TryGet(Key(i), buffer, out int written))
            {
                Assert.Equal(Payload(i), buffer.AsSpan(0, written).ToArray());
            }
        }
    }

    [Fact]
    public async Task A_prefix_in_flash_is_on_the_top_tier_after_prefetch()
    {
        using TieredKvStore store = CreateWithFlash(_temp.Sub("flash"), [4], 16);
        BlockKey[] keys = PutChain(store, 8); // 0..3 demoted to flash by 4..7
        Assert.Equal(1, store.TierOf(Key(0)));

        int moved = await store.PrefetchAsync(keys.AsMemory(0, 3));

        Assert.Equal(3, moved);
        PrefixMatch match = store.MatchPrefix(keys.AsSpan(0, 3));
        Assert.Equal(3, match.Blocks);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, store.TierOf(Key(i)));
        }

        Assert.Equal(8, store.Count);
        AssertEveryByte(store, 8);
    }

    [Fact]
    public async Task Resident_absent_and_pinned_blocks_are_left_alone()
    {
        using TieredKvStore store = Create(4, 8);
        PutChain(store, 6); // 0, 1 in tier 1
        Assert.True(store.Pin(Key(0)));

        int moved = await store.PrefetchAsync(new[] { Key(5), Key(99), Key(0), BlockKey.Empty });

        Assert.Equal(0, moved);
        Assert.Equal(1, store.TierOf(Key(0)));
        Assert.Equal(0, store.TierOf(Key(5)));
    }

    [Fact]
    public async Task A_cancelled_prefetch_leaves_a_consistent_store()
    {
        using TieredKvStore store = CreateWithFlash(_temp.Sub("flash"), [4], 64);
        BlockKey[] keys = PutChain(store, 40);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PrefetchAsync(keys, cts.Token));

        using var midway = new CancellationTokenSource();
        Task<int> running = store.PrefetchAsync(keys, midway.Token);
        midway.Cancel();
        try
        {
            Assert.Equal(4, await running); // finished before the cancel: the first 4 blocks, the top tier's capacity
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(0, store.TierOf(Key(i)));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped between blocks: what moved stays moved.
        }

        Assert.Equal(40, store.Count);
        int top = 0;
        for (int i = 0; i < 40; i++)
        {
            int tier = store.TierOf(Key(i));
            Assert.InRange(tier, 0, 1);
            top += tier == 0 ? 1 : 0;
        }

        Assert.Equal(4, top);
        AssertEveryByte(store, 40);
    }
}
