using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.KvEvents;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The store's event queue to the publisher overflows (here: a queue of 32 events, and bursts of store traffic):
/// the server clears what it published and publishes again every prompt the store can still restore, in the medium
/// it is in now, DRAM-held ones included, and none it cannot.
/// </summary>
public sealed class ServerKvEventsResyncTests
{
    private const int BlocksPerPrompt = 4;
    private const int PiecesPerSnapshot = 3;
    private static readonly KvLayout Layout = new("events-test", 1, 1, 8, 2, 16); // 16 tokens, 512 bytes a block
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public void AfterAnOverflowEveryRestorablePromptIsPublishedAgainInItsMediumAndNoOtherIs()
    {
        using TieredKvStore store = Store();
        var keys = new BlockHasher(Layout);
        var options = new KvEventsOptions { Endpoint = "tcp://127.0.0.1:*", ReplayEndpoint = "tcp://127.0.0.1:*", HashSeed = KvEventsServer.Seed };
        using var events = new ServerKvEvents(options, store, keys, NullLogger.Instance, cache: null, storeQueue: 32);
        using var index = new ClusterPrefixIndex();
        int me = index.Follow("server", events.Endpoint, events.ReplayEndpoint);
        Assert.True(events.WaitForSubscriber(Wait));

        // A, B and C saved in turn into 7 DRAM blocks: C's pieces push A's down to flash; B and C stay in DRAM.
        BlockKey[][] pieces = [Save(store, keys, events, 0), Save(store, keys, events, 1), Save(store, keys, events, 2)];
        Churn(store, 1); // pushes A's last DRAM piece down too
        Assert.True(SpinWait.SpinUntil(() => Held(index, 0) is (4, 0, 4) && Held(index, 1) is (4, 4, 0) && Held(index, 2) is (4, 4, 0), Wait),
            $"before the overflow: A {Held(index, 0)}, B {Held(index, 1)}, C {Held(index, 2)}");

        // Store traffic the pump cannot keep up with, and meanwhile C loses a chunk: C can no longer be restored.
        long resets = events.Resets;
        store.Remove(pieces[2][2]);
        // Bounded by time, not by rounds: a pump on the other core can keep up with 10,000 rounds (it did once in CI,
        // in about a second); it falls behind sooner or later, and the test waits as long as its other waits.
        var churning = System.Diagnostics.Stopwatch.StartNew();
        while (events.Resets == resets)
        {
            Assert.True(churning.Elapsed < Wait, "the store's event queue never overflowed");
            Churn(store, 100);
        }

        // D, one piece (DRAM has room: nothing moves), saved after the traffic: the pump publishes it only once it has
        // applied every store event before it, resyncs included, and the index applies what it hears in order, so once
        // D is held what it says of A, B and C is final. A sleep stood here: the wait could pass on the state before any
        // resync reached the index (C's removal, if published before the overflow, already gives it), and under load the
        // index could then be between a resync's AllBlocksCleared and its republication 300 ms later.
        Save(store, keys, events, 3, pieces: 1);
        bool Final() => Held(index, 3) is (4, 4, 0) && Held(index, 0) is (4, 0, 4) && Held(index, 1) is (4, 4, 0) && Held(index, 2) is (0, 0, 0);
        Assert.True(SpinWait.SpinUntil(Final, Wait),
            $"after {events.Resets - resets} overflows: A {Held(index, 0)}, B {Held(index, 1)}, C {Held(index, 2)}, D {Held(index, 3)}");
        Assert.Equal((4, 0, 4), Held(index, 0)); // in DISK, where a restore reads it
        Assert.Equal((4, 4, 0), Held(index, 1)); // in CPU: a DRAM-held prompt is published again, not left for its next save
        Assert.Equal((0, 0, 0), Held(index, 2)); // never over-reported
    }

    /// <summary>Leading blocks of prompt <paramref name="prompt"/> the index says the server holds: in all, in CPU, in DISK.</summary>
    private static (int Blocks, int Cpu, int Disk) Held(ClusterPrefixIndex index, int prompt)
    {
        var hashes = new VllmBlockHash[BlocksPerPrompt];
        new VllmBlockHasher(16, KvEventsServer.Seed).ComputeHashes(Tokens(prompt), hashes);
        var result = new PrefixOverlap[1];
        return index.Match([.. hashes.Select(h => h.EventHash)], result) == 0 ? (0, 0, 0)
            : (result[0].Blocks, result[0].CpuBlocks, result[0].DiskBlocks);
    }

    /// <summary>Puts a prompt's snapshot pieces into the store and tells the publisher it was saved.</summary>
    private static BlockKey[] Save(TieredKvStore store, BlockHasher keys, ServerKvEvents events, int prompt, int pieces = PiecesPerSnapshot)
    {
        var blockKeys = new BlockKey[BlocksPerPrompt];
        keys.ComputeKeys(Tokens(prompt), blockKeys);
        var pieceKeys = new BlockKey[pieces];
        LlamaPrefixCache.GetSnapshotKeys(blockKeys[^1], pieceKeys);
        foreach (BlockKey piece in pieceKeys)
        {
            Assert.Equal(PutResult.Stored, store.Put(piece, BlockKey.Empty, new byte[Layout.BytesPerBlock]));
        }

        events.Saved([.. Tokens(prompt).Select(t => (LLamaToken)t)], pieces);
        return pieceKeys;
    }

    /// <summary>A block that is no prompt's, put and removed <paramref name="times"/> times: store events, nothing to publish.</summary>
    private static void Churn(TieredKvStore store, int times)
    {
        var junk = new BlockKey(0xBAD, 0xF00D);
        var payload = new byte[Layout.BytesPerBlock];
        for (int i = 0; i < times; i++)
        {
            store.Put(junk, BlockKey.Empty, payload);
            store.Remove(junk);
        }
    }

    private static int[] Tokens(int prompt) => [.. Enumerable.Range(prompt * 1000, BlocksPerPrompt * 16)];

    private static TieredKvStore Store()
    {
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(Profile("dram", TierKind.Dram), 7) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), 64) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    private static TierProfile Profile(string name, TierKind kind) => new(name, kind, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30);
}
