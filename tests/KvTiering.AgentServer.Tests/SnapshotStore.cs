using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.KvEvents;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama.Native;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A small DRAM-over-flash store holding prompt snapshots the way the server saves them (three pieces a prompt of four
/// blocks), for tests of what <see cref="ServerKvEvents"/> publishes without a model.
/// </summary>
internal static class SnapshotStore
{
    public const int BlocksPerPrompt = 4;
    public const int PiecesPerSnapshot = 3;
    public static readonly KvLayout Layout = new("events-test", 1, 1, 8, 2, 16); // 16 tokens, 512 bytes a block

    /// <summary><paramref name="dram"/> DRAM blocks over <paramref name="flash"/> flash blocks, LRU.</summary>
    public static TieredKvStore Create(int dram, int flash)
    {
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(Profile("dram", TierKind.Dram), dram) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), flash) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    /// <summary>Puts a prompt's snapshot pieces into the store and tells the publisher it was saved.</summary>
    public static void Save(TieredKvStore store, ServerKvEvents events, int prompt)
    {
        var keys = new BlockHasher(Layout);
        var blockKeys = new BlockKey[BlocksPerPrompt];
        keys.ComputeKeys(Tokens(prompt), blockKeys);
        var pieces = new BlockKey[PiecesPerSnapshot];
        LlamaPrefixCache.GetSnapshotKeys(blockKeys[^1], pieces);
        foreach (BlockKey piece in pieces)
        {
            store.Put(piece, BlockKey.Empty, new byte[Layout.BytesPerBlock]);
        }

        events.Saved([.. Tokens(prompt).Select(t => (LLamaToken)t)], PiecesPerSnapshot);
    }

    /// <summary>Blocks no prompt owns: <paramref name="count"/> of them, from <paramref name="first"/> on.</summary>
    public static void Fill(TieredKvStore store, int count, int first = 0)
    {
        var payload = new byte[Layout.BytesPerBlock];
        for (int i = 0; i < count; i++)
        {
            store.Put(new BlockKey(0xF111, (ulong)(first + i)), BlockKey.Empty, payload);
        }
    }

    /// <summary>A block that is no prompt's, put and removed <paramref name="times"/> times: store events, nothing to publish.</summary>
    public static void Churn(TieredKvStore store, int times)
    {
        var junk = new BlockKey(0xBAD, 0xF00D);
        var payload = new byte[Layout.BytesPerBlock];
        for (int i = 0; i < times; i++)
        {
            store.Put(junk, BlockKey.Empty, payload);
            store.Remove(junk);
        }
    }

    /// <summary>Leading blocks of prompt <paramref name="prompt"/> the index says the server holds.</summary>
    public static int Held(ClusterPrefixIndex index, int prompt)
    {
        var hashes = new VllmBlockHash[BlocksPerPrompt];
        new VllmBlockHasher(16, KvEventsServer.Seed).ComputeHashes(Tokens(prompt), hashes);
        var result = new PrefixOverlap[1];
        return index.Match([.. hashes.Select(h => h.EventHash)], result) == 0 ? 0 : result[0].Blocks;
    }

    private static int[] Tokens(int prompt) => [.. Enumerable.Range(prompt * 1000, BlocksPerPrompt * 16)];

    private static TierProfile Profile(string name, TierKind kind) => new(name, kind, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30);
}
