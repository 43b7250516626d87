using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A read of a block that moves between tiers while the read is on the device (promoted by another read, pushed down
/// again by puts, moved from an awaitable tier to a remote one) finds the block's own bytes: the slot it reads is kept
/// from being freed or rewritten until the read ends, so a block that exists before and after the move is never a
/// miss. The drill that lost snapshots under 32 concurrent <c>TryGetAsync</c> (session 25) blamed such reads; these
/// interleavings, forced with gates, show the store does not miss them.
/// </summary>
public sealed class MovingBlockReadTests
{
    /// <summary>A top tier of <paramref name="top"/> blocks over an awaitable middle tier over a remote one with a read window.</summary>
    private static TieredKvStore Open(int top, AwaitableDevice middle, WindowedDevice remote)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), middle.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => middle,
        });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
        });
        return new TieredKvStore(options);
    }

    private static void PutChain(TieredKvStore store, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i)));
        }
    }

    [Fact]
    public async Task An_awaited_read_of_a_block_promoted_and_pushed_down_again_meanwhile_returns_its_bytes()
    {
        var middle = new AwaitableDevice(8, TinyLayout.BytesPerBlock);
        var remote = new WindowedDevice(16, TinyLayout.BytesPerBlock, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        PutChain(store, 0, 4); // 0 and 1 in the middle tier
        Assert.Equal(1, store.TierOf(Key(0)));
        middle.Close();

        var awaited = new byte[store.BlockBytes];
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), awaited);
        WaitFor(() => middle.Pending == 1, "the awaited read at the gate");

        // Meanwhile a synchronous read promotes the block (the device's synchronous read is not gated), and new
        // blocks push it down again, into another slot of the middle tier.
        var sync = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), sync, out _, out int servedFrom));
        Assert.Equal(1, servedFrom);
        Assert.Equal(0, store.TierOf(Key(0)));
        PutChain(store, 10, 2);
        Assert.Equal(1, store.TierOf(Key(0)));

        middle.Open();
        BlockRead read = await pending;
        Assert.True(read.Found, "a block that was resident before and after its move is not a miss");
        Assert.Equal(Payload(0), awaited[..read.BytesWritten]);
        Assert.True(store.TryGet(Key(0), sync, out int written));
        Assert.Equal(Payload(0), sync[..written]);
        Assert.Empty(middle.Violations);
    }

    [Fact]
    public async Task An_awaited_read_of_a_block_demoted_to_the_remote_tier_meanwhile_returns_its_bytes()
    {
        var middle = new AwaitableDevice(2, TinyLayout.BytesPerBlock);
        var remote = new WindowedDevice(16, TinyLayout.BytesPerBlock, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        PutChain(store, 0, 4); // 0 and 1 in the middle tier, which is full
        middle.Close();

        var awaited = new byte[store.BlockBytes];
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), awaited);
        WaitFor(() => middle.Pending == 1, "the awaited read at the gate");

        PutChain(store, 10, 2); // 2 and 3 go down to the middle tier, pushing 0 and 1 on to the remote one
        Assert.Equal(2, store.TierOf(Key(0)));

        middle.Open();
        BlockRead read = await pending;
        Assert.True(read.Found);
        Assert.Equal(Payload(0), awaited[..read.BytesWritten]);
        var again = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), again, out int written));
        Assert.Equal(Payload(0), again[..written]);
        Assert.Empty(middle.Violations);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task An_awaited_remote_read_of_a_block_promoted_and_pushed_back_to_the_remote_tier_meanwhile_returns_its_bytes()
    {
        var middle = new AwaitableDevice(2, TinyLayout.BytesPerBlock);
        var remote = new WindowedDevice(16, TinyLayout.BytesPerBlock, readWindow: 4);
        using TieredKvStore store = Open(top: 2, middle, remote);
        PutChain(store, 0, 6); // 0 and 1 on the remote tier
        Assert.Equal(2, store.TierOf(Key(0)));
        remote.Close();

        var awaited = new byte[store.BlockBytes];
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), awaited);
        WaitFor(() => remote.Pending == 1, "the awaited remote read at the gate");

        var sync = new byte[store.BlockBytes];
        Assert.True(store.TryGet(Key(0), sync, out _, out int servedFrom));
        Assert.Equal(2, servedFrom);
        Assert.Equal(0, store.TierOf(Key(0)));
        PutChain(store, 10, 4); // down through the middle tier to the remote one again, into another slot
        Assert.Equal(2, store.TierOf(Key(0)));

        remote.Open();
        BlockRead read = await pending;
        Assert.True(read.Found);
        Assert.Equal(Payload(0), awaited[..read.BytesWritten]);
        Assert.True(store.TryGet(Key(0), sync, out int written));
        Assert.Equal(Payload(0), sync[..written]);
        Assert.Empty(remote.Violations);
    }

    [Fact]
    public async Task Many_awaited_reads_whose_promotions_push_each_other_down_all_find_their_bytes()
    {
        // The drill's shape, small: a chain three times the memory tiers' room, read with eight reads in flight whose
        // remote replies come back out of order; each hit's promotion pushes the others down the chain meanwhile.
        var middle = new AwaitableDevice(8, TinyLayout.BytesPerBlock);
        var remote = new WindowedDevice(64, TinyLayout.BytesPerBlock, readWindow: 8) { Stagger = TimeSpan.FromMilliseconds(1) };
        using TieredKvStore store = Open(top: 8, middle, remote);
        const int Blocks = 48;
        PutChain(store, 0, Blocks);
        for (int round = 0; round < 3; round++)
        {
            var buffers = new byte[Blocks][];
            var reads = new List<Task<BlockRead>>();
            for (int i = 0; i < Blocks; i++)
            {
                buffers[i] = new byte[store.BlockBytes];
                reads.Add(store.TryGetAsync(Key(i), buffers[i]).AsTask());
                if (reads.Count % 8 == 0)
                {
                    await Task.WhenAll(reads.GetRange(reads.Count - 8, 8));
                }
            }

            for (int i = 0; i < Blocks; i++)
            {
                BlockRead read = await reads[i];
                Assert.True(read.Found, $"round {round}: block {i} missed");
                Assert.Equal(Payload(i), buffers[i][..read.BytesWritten]);
            }
        }

        Assert.Equal(Blocks, store.Count);
        Assert.Empty(middle.Violations);
        Assert.Empty(remote.Violations);
    }
}
