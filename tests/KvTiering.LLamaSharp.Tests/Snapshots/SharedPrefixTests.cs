using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;
using Xunit.Abstractions;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// New sessions that share only a system prompt, each saving a snapshot larger than DRAM, so every earlier one lies
/// on a remote-like tier: what a new session's restore of the shared prefix reads from that tier. Before, each read the
/// whole snapshot of the session before it (a waypoint leads to the newest one through the shared blocks) and trimmed
/// it: 26 of its 30 chunks here, for 160 of its 440 tokens; in the remote drill, 175 chunks from Garnet for 352 tokens.
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class SharedPrefixTests(TinyModelFixture model, ITestOutputHelper output)
{
    private const int Shared = 160; // 10 blocks of 16: the waypoint at block 8 (index 7) lies inside it
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;
    private static readonly TierProfile Remote = new("remote", TierKind.Remote, 1e9, 1e9, TimeSpan.FromMicroseconds(100), 0, 0);

    private static LLamaToken[] Session(int seed) => [.. TinyModelFixture.Tokens(100, Shared), .. TinyModelFixture.Tokens(seed, 280)];

    [Fact]
    public async Task New_sessions_read_the_shared_prefix_not_a_whole_earlier_session()
    {
        var remote = new RemoteLikeDevice(1024, model.Layout.BytesPerBlock, readWindow: 8);
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8));
        options.Tiers.Add(new TierOptions(Remote, 1024) { DeviceFactory = (_, _) => remote });
        using var store = new TieredKvStore(options);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();

        var reads = new List<int>();
        for (int s = 1; s <= 6; s++)
        {
            LLamaToken[] prompt = Session(s);
            int before = remote.TotalReads;
            PrefixRestore restore = await cache.RestoreAsync(context, Seq, prompt);
            reads.Add(remote.TotalReads - before);
            Assert.Equal(s == 1 ? 0 : Shared, restore.RestoredTokens);
            float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, prompt.AsSpan(restore.RestoredTokens), restore.RestoredTokens).ToArray();
            Assert.Equal(model.Recompute(prompt), logits); // never wrong bytes
            Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, prompt, session: s).Outcome);
        }

        int sessionChunks = ChunksOf(store, Session(6));
        BlockKey[] keys = Keys(Session(6));
        int sharedChunks = ChunksOf(store, Session(6)[..Shared]);
        output.WriteLine($"remote reads per restore: {string.Join(", ", reads)}; snapshots: a session's {sessionChunks} chunks, the shared prefix's {sharedChunks}");
        Assert.True(sharedChunks > 0, "the shared prefix has a snapshot of its own");
        Assert.True(store.Contains(SnapshotKeys.Manifest(keys[Shared / 16 - 1])), "later sessions' saves kept it");
        Assert.All(reads.Skip(2), r => Assert.True(r <= sharedChunks + 1,
            $"a new session read {r} blocks from the remote tier to restore {Shared} shared tokens ({sharedChunks} chunks; a session's snapshot is {sessionChunks})"));
    }

    [Fact]
    public async Task A_conversations_next_turn_saves_no_shared_prefix()
    {
        // The next turn leaves the last snapshot within its last blocks (the previous prompt's tail): no branch there.
        using TieredKvStore store = model.NewStore(dramBlocks: 256);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LLamaToken[] turn1 = Session(1);
        LlamaPrefill.Prefill(context.NativeHandle, Seq, turn1, 0);
        Assert.Equal(SaveOutcome.Stored, cache.Save(context, Seq, turn1).Outcome);
        LLamaToken[] turn2 = [.. turn1[..^40], .. TinyModelFixture.Tokens(2, 100)]; // 40 tokens edited: under 8 blocks

        PrefixRestore restore = await cache.RestoreAsync(context, Seq, turn2);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(1, cache.GetStatistics().Saves); // turn 1's only
    }

    private BlockKey[] Keys(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys;
    }

    private int ChunksOf(TieredKvStore store, LLamaToken[] tokens)
    {
        BlockKey[] keys = Keys(tokens);
        int chunks = 0;
        while (store.Contains(SnapshotKeys.Chunk(keys[^1], chunks + 1)))
        {
            chunks++;
        }

        return chunks;
    }
}
