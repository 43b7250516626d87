// Results and the runs' conditions: docs/benchmarks.md, "DemotionBenchmarks".

using BenchmarkDotNet.Attributes;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Benchmarks;

/// <summary>
/// A put of a new block into a full two-tier metadata-only store: the top tier's victim is demoted into the lower tier,
/// whose own victim leaves the store (the eviction path every multi-tier put takes). One store per policy: `lru` and
/// `clock` do not know dead blocks, `agent` does (<see cref="IKnowsDeadBlocks"/>: asked for every top-tier victim, and
/// here none is dead, so every victim still moves down). Blocks arrive as requests of 256 sessions, 16 blocks each.
/// </summary>
[MemoryDiagnoser]
public class DemotionBenchmarks
{
    private const int Puts = 1024;
    private const int TopBlocks = 4096;
    private const int LowerBlocks = 16384;
    private TieredKvStore _lru = null!;
    private TieredKvStore _clock = null!;
    private TieredKvStore _agent = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _lru = Build(EvictionPolicy.Lru);
        _clock = Build(EvictionPolicies.Clock);
        _agent = Build(EvictionPolicies.Agent);
        for (int i = 0; i < 4 * (TopBlocks + LowerBlocks) / Puts; i++)
        {
            PutNew(_lru);
            PutNew(_clock);
            PutNew(_agent);
        }
    }

    private static TieredKvStore Build(EvictionPolicy policy)
    {
        var options = new KvStoreOptions { MetadataOnly = true };
        options.Tiers.Add(new TierOptions(new TierProfile("hbm", TierKind.Hbm, 1e12, 1e12, TimeSpan.Zero, 0, 0), TopBlocks) { Policy = policy });
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), LowerBlocks) { Policy = policy });
        return new TieredKvStore(options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _lru.Dispose();
        _clock.Dispose();
        _agent.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Puts)]
    public int PutDemotingLru() => PutNew(_lru);

    [Benchmark(OperationsPerInvoke = Puts)]
    public int PutDemotingClock() => PutNew(_clock);

    [Benchmark(OperationsPerInvoke = Puts)]
    public int PutDemotingAgent() => PutNew(_agent);

    /// <summary><see cref="Puts"/> new blocks, each a request's next block (depth 0-15 of one of 256 sessions).</summary>
    private int PutNew(TieredKvStore store)
    {
        int stored = 0;
        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < Puts; i++)
        {
            long n = ++_next; // from 1: the empty key is reserved
            int depth = (int)(n & 15);
            long session = 1 + ((n >> 4) & 255);
            var key = new BlockKey((ulong)n * 0x9E3779B97F4A7C15UL, (ulong)n);
            stored += store.Put(key, depth == 0 ? BlockKey.Empty : parent, default, new BlockContext(depth, session)) == PutResult.Stored ? 1 : 0;
            parent = key;
        }

        return stored;
    }
}
