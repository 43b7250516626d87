using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;

namespace KvTiering.Tests.Store;

/// <summary>Small layouts, profiles and stores for tests.</summary>
internal static class StoreTestKit
{
    /// <summary>A tiny layout: 1 layer, 1 head, dim 8, 2-byte elements, 4 tokens → 128-byte blocks.</summary>
    public static KvLayout TinyLayout { get; } = new("test-model", 1, 1, 8, 2, 4);

    public static TierProfile Profile(string name, TierKind kind = TierKind.Dram) =>
        new(name, kind, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30);

    public static TieredKvStore Create(params int[] capacities) => Create(EvictionPolicy.Lru, capacities);

    public static TieredKvStore Create(EvictionPolicy policy, params int[] capacities)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        for (int i = 0; i < capacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), capacities[i]) { Policy = policy });
        }

        return new TieredKvStore(options);
    }

    public static TieredKvStore CreateMetadata(EvictionPolicy policy, params int[] capacities)
    {
        var options = new KvStoreOptions { MetadataOnly = true };
        for (int i = 0; i < capacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), capacities[i]) { Policy = policy });
        }

        return new TieredKvStore(options);
    }

    /// <summary>
    /// Memory tiers of <paramref name="memoryCapacities"/> blocks over a flash tier of <paramref name="flashCapacity"/>
    /// blocks in <paramref name="directory"/>, all LRU; <paramref name="flashFactory"/>, when given, builds the flash device.
    /// </summary>
    public static TieredKvStore CreateWithFlash(string directory, int[] memoryCapacities, int flashCapacity,
        bool compression = false, Func<int, int, IBlockDevice>? flashFactory = null,
        CorruptFileAction corruptFile = CorruptFileAction.Recreate, byte[]? authenticationKey = null)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        for (int i = 0; i < memoryCapacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), memoryCapacities[i]) { Policy = EvictionPolicy.Lru });
        }

        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), flashCapacity)
        {
            Policy = EvictionPolicy.Lru, // the tests name exact LRU victims
            Directory = directory,
            Compression = compression,
            DeviceFactory = flashFactory,
            FlashCorruptFile = corruptFile,
            FlashRecoveryVerificationBudget = PatientFlash.Budget, // the tests check what a reopen finds
            AuthenticationKey = authenticationKey,
        });
        return new TieredKvStore(options);
    }

    public static BlockKey Key(int i) => new((ulong)i + 1, 0xABCDEFUL);

    /// <summary>A payload that encodes its key, so a test can tell whose bytes came back.</summary>
    public static byte[] Payload(int i, int length = 128)
    {
        var bytes = new byte[length];
        var rng = new Random(i);
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds (a state the store or a test device reports), failing after
    /// 10 s with <paramref name="what"/>: tests wait for state, never for a sleep.
    /// </summary>
    internal static void WaitFor(Func<bool> condition, string what = "the store's background work")
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(1);
        }
    }

    /// <summary>A DRAM tier of <paramref name="top"/> blocks over <paramref name="slow"/> written behind, both LRU.</summary>
    internal static TieredKvStore WriteBehindStore(GatedDevice slow, int top, int queue)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = queue };
        options.Tiers.Add(new TierOptions(Profile("dram"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        return new TieredKvStore(options);
    }
}
