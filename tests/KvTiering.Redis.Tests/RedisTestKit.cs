using System.Diagnostics.Metrics;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace KvTiering.Redis.Tests;

/// <summary>Blocks, options, devices and stores over a test server.</summary>
internal static class RedisTestKit
{
    public const int BlockBytes = 1024;

    public static KvLayout Layout { get; } = new("redis-test", 1, 1, BlockBytes / 4, 2, 1);

    public static BlockHasher Hasher { get; } = new(Layout);

    public static RedisTierOptions Options(GarnetTestServer server, TimeProvider? time = null, string? ns = null) => new()
    {
        Configuration = server.Configuration,
        Namespace = ns ?? "t" + Guid.NewGuid().ToString("N"),
        TimeProvider = time ?? new FakeTimeProvider(),
        OperationTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        Backoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromSeconds(8),
    };

    /// <summary>A chain of <paramref name="count"/> keys, as the hasher builds them for one prompt.</summary>
    public static BlockKey[] Chain(int count, int seed = 0)
    {
        int[] tokens = Enumerable.Range(seed * 100_000, count).ToArray();
        var keys = new BlockKey[count];
        Hasher.ComputeKeys(tokens, keys);
        return keys;
    }

    public static BlockKey ParentOf(BlockKey[] chain, int i) => i == 0 ? Hasher.Root : chain[i - 1];

    /// <summary>Distinct bytes per block (and a distinct length), so a mix-up cannot pass.</summary>
    public static byte[] Payload(int i)
    {
        var bytes = new byte[BlockBytes - (i % 7)];
        new Random(i + 1).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A store of a memory tier of <paramref name="memoryBlocks"/> over a Redis tier; the device comes back.</summary>
    public static TieredKvStore NewStore(IConnectionMultiplexer connection, RedisTierOptions options, int memoryBlocks,
        int redisBlocks, out RedisBlockDevice device, PromotionMode promotion = PromotionMode.ToTop,
        IMeterFactory? meters = null)
    {
        RedisBlockDevice? created = null;
        var storeOptions = new KvStoreOptions { Layout = Layout, Promotion = promotion, MeterFactory = meters };
        storeOptions.Tiers.Add(new TierOptions(TierProfiles.Dram, memoryBlocks));
        storeOptions.Tiers.Add(RedisTier.Create(connection, options, redisBlocks, d => created = d));
        var store = new TieredKvStore(storeOptions);
        device = created!;
        return store;
    }

    /// <summary>Retries <paramref name="attempt"/> until it holds, advancing the fake clock past each back-off; bounded.</summary>
    public static bool Eventually(FakeTimeProvider time, Func<bool> attempt, int tries = 200)
    {
        for (int i = 0; i < tries; i++)
        {
            if (attempt())
            {
                return true;
            }

            time.Advance(TimeSpan.FromSeconds(10));
            Thread.Sleep(50);
        }

        return false;
    }
}
