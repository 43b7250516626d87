// Results and the runs' conditions: docs/benchmarks.md (session 6, 2026-12-04, quiet machine, in process).

using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Caching.Memory;

namespace KvTiering.Benchmarks;

/// <summary>
/// Single-thread lookup hit of a resident block, metadata only (no payload copy), against BitFaster's ConcurrentLru
/// (the baseline), FastConcurrentLru and MemoryCache. Keys cycle through a shuffled order so every lookup is a hit
/// and the cache-miss behaviour at 1M keys is the real one.
/// </summary>
[MemoryDiagnoser]
public class HitPathBenchmarks
{
    private const int Lookups = 1024;
    private TieredKvStore _store = null!;
    private TieredKvStore _agentStore = null!;
    private TieredKvStore _lruStore = null!;
    private ConcurrentLru<BlockKey, int> _lru = null!;
    private FastConcurrentLru<BlockKey, int> _fastLru = null!;
    private MemoryCache _memoryCache = null!;
    private BlockKey[] _probe = null!;
    private TieredKvStore _chainStore = null!;
    private TieredKvStore _agentChainStore = null!;
    private BlockKey[] _chainProbe = null!;

    [Params(1_000, 1_000_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new KvStoreOptions { MetadataOnly = true };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Keys));
        _store = new TieredKvStore(options); // the default policy: clock
        var agentOptions = new KvStoreOptions { MetadataOnly = true };
        agentOptions.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Keys)
        {
            Policy = Eviction.EvictionPolicies.Agent,
        });
        _agentStore = new TieredKvStore(agentOptions);
        var lruOptions = new KvStoreOptions { MetadataOnly = true };
        lruOptions.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Keys)
        {
            Policy = Eviction.EvictionPolicy.Lru,
        });
        _lruStore = new TieredKvStore(lruOptions);
        _lru = new ConcurrentLru<BlockKey, int>(1, Keys, EqualityComparer<BlockKey>.Default);
        _fastLru = new FastConcurrentLru<BlockKey, int>(1, Keys, EqualityComparer<BlockKey>.Default);
        _memoryCache = new MemoryCache(new MemoryCacheOptions());
        var rng = new Random(42);
        var keys = new BlockKey[Keys];
        for (int i = 0; i < Keys; i++)
        {
            keys[i] = new BlockKey((ulong)rng.NextInt64(), (ulong)rng.NextInt64());
            _store.Put(keys[i], BlockKey.Empty, default);
            _agentStore.Put(keys[i], BlockKey.Empty, default, new Eviction.BlockContext(0, 1 + (i % 64)));
            _lruStore.Put(keys[i], BlockKey.Empty, default);
            _lru.AddOrUpdate(keys[i], i);
            _fastLru.AddOrUpdate(keys[i], i);
            _memoryCache.Set(keys[i], i);
        }

        _probe = new BlockKey[Lookups];
        for (int i = 0; i < Lookups; i++)
        {
            _probe[i] = keys[rng.Next(Keys)];
        }

        SetupChains(lruOptions, agentOptions, keys, rng);
    }

    /// <summary>
    /// The same keys as 64 sessions' chains, probed as requests are: one session's prefix from depth 0 down, then
    /// another session's (a policy that works per request, like the agent policy, sees its real hit path here).
    /// </summary>
    private void SetupChains(KvStoreOptions lruOptions, KvStoreOptions agentOptions, BlockKey[] keys, Random rng)
    {
        _chainStore = new TieredKvStore(lruOptions);
        _agentChainStore = new TieredKvStore(agentOptions);
        int perSession = Keys / 64;
        for (int i = 0; i < Keys; i++)
        {
            int depth = i % perSession;
            BlockKey parent = depth > 0 ? keys[i - 1] : BlockKey.Empty;
            var context = new Eviction.BlockContext(depth, 1 + (i / perSession));
            _chainStore.Put(keys[i], parent, default, context);
            _agentChainStore.Put(keys[i], parent, default, context);
        }

        _chainProbe = new BlockKey[Lookups];
        int filled = 0;
        while (filled < Lookups)
        {
            int first = rng.Next(64) * perSession;
            int length = Math.Min(1 + rng.Next(perSession), Lookups - filled);
            Array.Copy(keys, first, _chainProbe, filled, length);
            filled += length;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _agentStore.Dispose();
        _lruStore.Dispose();
        _chainStore.Dispose();
        _agentChainStore.Dispose();
        _memoryCache.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lookups)]
    public int BitFasterConcurrentLru()
    {
        int found = 0;
        foreach (BlockKey key in _probe)
        {
            found += _lru.TryGet(key, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int BitFasterFastConcurrentLru()
    {
        int found = 0;
        foreach (BlockKey key in _probe)
        {
            found += _fastLru.TryGet(key, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int MemoryCache()
    {
        int found = 0;
        foreach (BlockKey key in _probe)
        {
            found += _memoryCache.TryGetValue(key, out _) ? 1 : 0;
        }

        return found;
    }

    /// <summary>
    /// The default store (the clock policy): like BitFaster's ConcurrentLru it only marks the block accessed (a
    /// reference bit), so the hit takes no lock and queues nothing (goal: ≤ 1.0× BitFasterConcurrentLru, 0 B).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int KvTiering() => Probe(_store, _probe);

    /// <summary>The same hit with exact LRU, whose hit queues the access for the list's reordering.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int KvTieringLru() => Probe(_lruStore, _probe);

    /// <summary>The same hit with the agent policy on the tier (goal: within 2× of LRU's, 0 B).</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int KvTieringAgent() => Probe(_agentStore, _probe);

    /// <summary>LRU's hit when lookups come as requests do: a session's prefix, depth 0 down.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int KvTieringRequests() => Probe(_chainStore, _chainProbe);

    /// <summary>The agent policy's hit when lookups come as requests do (goal: within 2× of LRU's, 0 B).</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int KvTieringAgentRequests() => Probe(_agentChainStore, _chainProbe);

    /// <summary>One metadata-only lookup per key; every one is a hit.</summary>
    private static int Probe(TieredKvStore store, BlockKey[] keys)
    {
        int found = 0;
        foreach (BlockKey key in keys)
        {
            found += store.TryGet(key, default, out _) ? 1 : 0;
        }

        return found;
    }
}
