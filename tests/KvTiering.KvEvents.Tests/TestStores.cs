using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.KvEvents.Tests;

/// <summary>Small stores keyed by vLLM's scheme, so their events carry vLLM's 64-bit hashes.</summary>
internal static class TestStores
{
    public static KvLayout Layout { get; } = new("test-model", 1, 1, 8, 2, 4); // 4 tokens, 128 bytes per block

    /// <summary>An HBM tier of <paramref name="hbm"/> blocks over a DRAM tier of <paramref name="dram"/>, LRU.</summary>
    public static TieredKvStore HbmOverDram(int hbm, int dram)
    {
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(Profile("hbm", TierKind.Hbm), hbm) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("dram", TierKind.Dram), dram) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    /// <summary>vLLM's keys for <paramref name="blocks"/> consecutive blocks of tokens starting at <paramref name="first"/>.</summary>
    public static VllmBlockHash[] Chain(int blocks, int first = 0)
    {
        var hasher = new VllmBlockHasher(Layout.TokensPerBlock, "0");
        var hashes = new VllmBlockHash[blocks];
        hasher.ComputeHashes([.. Enumerable.Range(first, blocks * Layout.TokensPerBlock)], hashes);
        return hashes;
    }

    /// <summary>Puts the chain into the store, each block after its parent.</summary>
    public static void PutChain(TieredKvStore store, VllmBlockHash[] chain)
    {
        var payload = new byte[128];
        for (int i = 0; i < chain.Length; i++)
        {
            store.Put(chain[i].ToBlockKey(), i == 0 ? BlockKey.Empty : chain[i - 1].ToBlockKey(), payload);
        }
    }

    private static TierProfile Profile(string name, TierKind kind) =>
        new(name, kind, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30);
}
