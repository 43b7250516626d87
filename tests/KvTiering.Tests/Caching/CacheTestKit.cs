using KvTiering.Blocks;
using KvTiering.Caching;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;
using Microsoft.Extensions.Time.Testing;

namespace KvTiering.Tests.Caching;

/// <summary>Stores of small byte blocks and caches over them, on a fake clock.</summary>
internal static class CacheTestKit
{
    public const int BlockBytes = 1024;

    /// <summary>Blocks of <paramref name="blockBytes"/> plain bytes.</summary>
    public static KvLayout Layout(int blockBytes = BlockBytes) => new("cache-test", 1, 1, blockBytes / 2, 1, 1);

    public static TieredKvStore NewStore(int memoryBlocks = 256, string? flashDirectory = null, int flashBlocks = 256,
        bool flushOnDispose = false, int blockBytes = BlockBytes)
    {
        var options = new KvStoreOptions { Layout = Layout(blockBytes), FlushOnDispose = flushOnDispose };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, memoryBlocks));
        if (flashDirectory is not null)
        {
            options.Tiers.Add(new TierOptions(TierProfiles.Flash, flashBlocks) { Directory = flashDirectory, FlashRecoveryVerificationBudget = PatientFlash.Budget });
        }

        return new TieredKvStore(options);
    }

    public static KvTieringDistributedCache NewCache(TieredKvStore store, TimeProvider? time = null, string instance = "") =>
        new(store, new KvTieringDistributedCacheOptions { TimeProvider = time ?? new FakeTimeProvider(), InstanceName = instance });

    /// <summary>Bytes that name their seed at every position, so mixed or shifted bytes show.</summary>
    public static byte[] Value(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The manifest key of <paramref name="key"/> in the cache instance <paramref name="instance"/>.</summary>
    public static BlockKey ManifestKey(string key, string instance = "")
    {
        byte[] prefix = CacheKeys.Prefix(instance);
        return CacheKeys.Manifest([.. prefix, .. CacheKeys.Utf8.GetBytes(key)]);
    }

    /// <summary>The stored manifest of <paramref name="key"/>, read straight from the store.</summary>
    public static CacheManifest ReadManifest(TieredKvStore store, string key, string instance = "")
    {
        var block = new byte[store.BlockBytes];
        Assert.True(store.TryGet(ManifestKey(key, instance), block, out int length), $"no manifest for '{key}'");
        Assert.True(CacheManifest.TryParse(block.AsSpan(0, length), out CacheManifest manifest));
        return manifest;
    }

    /// <summary>The key of chunk <paramref name="index"/> of the entry stored under <paramref name="key"/> now.</summary>
    public static BlockKey ChunkKey(TieredKvStore store, string key, int index) =>
        CacheKeys.Chunk(ManifestKey(key), ReadManifest(store, key).Nonce, index);
}
