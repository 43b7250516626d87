using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The publisher on a plain store, with snapshots' pieces put by hand where the prefix cache would put them: many
/// prompts saved at once, then a shutdown before the pump can have caught up.
/// </summary>
public sealed class ServerKvEventsTests
{
    private const int Prompts = 400;
    private const int BlocksPerPrompt = 4;
    private const int PiecesPerSnapshot = 3;
    private static readonly KvLayout Layout = new("events-test", 1, 1, 8, 2, 16); // 16 tokens, 512 bytes a block

    [Fact]
    public async Task AShutdownPublishesEveryPromptSavedBeforeIt()
    {
        using TieredKvStore store = Store(Prompts * PiecesPerSnapshot * 2);
        var keys = new BlockHasher(Layout);
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", ReplayEndpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        var events = new ServerKvEvents(options, store, keys, NullLogger.Instance);
        using var recorder = new KvEventRecorder(events.Endpoint, events.ReplayEndpoint);
        Assert.True(events.WaitForSubscriber(TimeSpan.FromSeconds(60)));

        var expected = new List<ulong>();
        var router = new VllmBlockHasher(16, KvEventsServer.Seed);
        for (int p = 0; p < Prompts; p++)
        {
            int[] tokens = [.. Enumerable.Range(p * 1000, BlocksPerPrompt * 16)];
            var blockKeys = new BlockKey[BlocksPerPrompt];
            keys.ComputeKeys(tokens, blockKeys);
            var pieces = new BlockKey[PiecesPerSnapshot];
            LlamaPrefixCache.GetSnapshotKeys(blockKeys[^1], pieces);
            foreach (BlockKey piece in pieces)
            {
                Assert.Equal(PutResult.Stored, store.Put(piece, BlockKey.Empty, new byte[Layout.BytesPerBlock]));
            }

            events.Saved([.. tokens.Select(t => (LLamaToken)t)], PiecesPerSnapshot);
            var hashes = new VllmBlockHash[BlocksPerPrompt];
            router.ComputeHashes(tokens, hashes);
            expected.AddRange(hashes.Select(h => h.EventHash));
        }

        events.Dispose(); // straight away: most prompts are still queued for the pump
        await recorder.WaitUntil(r => r.Stored("CPU").Count >= expected.Count, $"all {expected.Count} blocks");
        Assert.Equal(expected, recorder.Stored("CPU").Select(s => s.Hash));
    }

    [Fact]
    public async Task APromptMissingAPieceIsNotPublishedAndOneLosingAPieceIsRemoved()
    {
        using TieredKvStore store = Store(64);
        var keys = new BlockHasher(Layout);
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        using var events = new ServerKvEvents(options, store, keys, NullLogger.Instance);
        using var recorder = new KvEventRecorder(events.Endpoint, null);
        Assert.True(events.WaitForSubscriber(TimeSpan.FromSeconds(60)));

        BlockKey[] partial = Pieces(keys, 0);
        store.Put(partial[0], BlockKey.Empty, new byte[Layout.BytesPerBlock]); // the manifest only: a save undone
        events.Saved(Tokens(0), PiecesPerSnapshot);
        BlockKey[] whole = Pieces(keys, 1);
        foreach (BlockKey piece in whole)
        {
            store.Put(piece, BlockKey.Empty, new byte[Layout.BytesPerBlock]);
        }

        events.Saved(Tokens(1), PiecesPerSnapshot);
        await recorder.WaitUntil(r => r.Stored("CPU").Count >= BlocksPerPrompt, "the whole prompt's blocks");
        store.Remove(whole[2]); // one chunk gone: the snapshot cannot be restored any more
        await recorder.WaitUntil(r => r.Removed("CPU").Count >= BlocksPerPrompt, "the prompt's removal");

        var router = new VllmBlockHasher(16, KvEventsServer.Seed);
        var hashes = new VllmBlockHash[BlocksPerPrompt];
        router.ComputeHashes([.. Tokens(1).Select(t => (int)t)], hashes);
        Assert.Equal(hashes.Select(h => h.EventHash), recorder.Stored("CPU").Select(s => s.Hash)); // prompt 0 never
        Assert.Equal(hashes.Select(h => h.EventHash).Reverse(), recorder.Removed("CPU"));          // leaves first
    }

    private static LLamaToken[] Tokens(int prompt) => [.. Enumerable.Range(prompt * 1000, BlocksPerPrompt * 16).Select(t => (LLamaToken)t)];

    private static BlockKey[] Pieces(BlockHasher keys, int prompt)
    {
        var blockKeys = new BlockKey[BlocksPerPrompt];
        keys.ComputeKeys([.. Tokens(prompt).Select(t => (int)t)], blockKeys);
        var pieces = new BlockKey[PiecesPerSnapshot];
        LlamaPrefixCache.GetSnapshotKeys(blockKeys[^1], pieces);
        return pieces;
    }

    private static TieredKvStore Store(int blocks)
    {
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30), blocks)
        {
            Policy = EvictionPolicy.Lru,
        });
        return new TieredKvStore(options);
    }
}
