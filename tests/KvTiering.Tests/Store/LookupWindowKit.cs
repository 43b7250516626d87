using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// The store the read-window tests open (a top tier of 4 blocks over a remote tier with a read window), and
/// their steps: lookups started at once, a hit checked against its block's bytes.
/// </summary>
internal static class LookupWindowKit
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    /// <summary>A top tier of 4 blocks over a remote one with a read window; blocks 0 to count - 5 lie in the remote tier.</summary>
    public static TieredKvStore Open(WindowedDevice remote, int count, out BlockKey[] keys)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("remote", TierKind.Remote), remote.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => remote,
        });
        var store = new TieredKvStore(options);
        keys = new BlockKey[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(PutResult.Stored, store.Put(keys[i], BlockKey.Empty, Payload(i)));
        }

        return store;
    }

    public static async Task AssertFound(Task<BlockRead> lookup, byte[] destination, int block)
    {
        BlockRead read = await lookup.WaitAsync(WaitLimit);
        Assert.True(read.Found, $"block {block} found");
        Assert.Equal(1, read.Tier);
        Assert.Equal(Payload(block), destination.AsSpan(0, read.BytesWritten).ToArray());
    }

    /// <summary>Starts lookups of blocks <paramref name="first"/> on, each into a buffer of its own.</summary>
    public static Task<BlockRead>[] LookUp(TieredKvStore store, BlockKey[] keys, int first, int count, byte[][] into,
        CancellationToken cancellationToken = default)
    {
        var lookups = new Task<BlockRead>[count];
        for (int i = 0; i < count; i++)
        {
            into[i] = new byte[TinyLayout.BytesPerBlock];
            lookups[i] = store.TryGetAsync(keys[first + i], into[i], cancellationToken).AsTask();
        }

        return lookups;
    }
}
