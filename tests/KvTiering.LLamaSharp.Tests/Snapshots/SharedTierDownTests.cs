using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A snapshot whose chunks only a shared tier still holds (Garnet keeps what this store let go: its table evicted or
/// removed them, or the process is new) is restored from that tier, and while the tier is down it is kept for when the
/// tier answers again. Before, the restore took any chunk the store's table did not hold for gone: it removed the
/// snapshot whether the shared tier held the chunks or could not be asked.
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class SharedTierDownTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;
    private static readonly TierProfile Remote = new("remote", TierKind.Remote, 1e9, 1e9, TimeSpan.FromMicroseconds(100), 0, 0);

    private TieredKvStore Open(out SharedRemoteLikeDevice remote)
    {
        var device = new SharedRemoteLikeDevice(1024, model.Layout.BytesPerBlock, readWindow: 8);
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8));
        options.Tiers.Add(new TierOptions(Remote, 1024) { DeviceFactory = (_, _) => device });
        remote = device;
        return new TieredKvStore(options);
    }

    /// <summary>
    /// Saves a 300-token session and another after it; then the store lets go of the first one's chunks (as eviction
    /// from its lowest tier does: the slots are freed, the shared server keeps the values) and keeps its manifest in
    /// DRAM (a manifest is read every turn). The prompt that continues it, the snapshot's key and chunk count.
    /// </summary>
    private (LLamaToken[] Prompt, BlockKey Snapshot, int Chunks) SaveThenLetGoOfChunks(LLamaContext context, LlamaPrefixCache cache,
        TieredKvStore store)
    {
        LLamaToken[] first = TinyModelFixture.Tokens(11, 300);
        TinyModelFixture.PrefillAndSave(context, cache, first);
        TinyModelFixture.PrefillAndSave(context, cache, TinyModelFixture.Tokens(12, 300));
        BlockKey snapshot = KeysOf(first)[^1];
        int chunks = 0;
        while (store.Contains(SnapshotKeys.Chunk(snapshot, chunks + 1)))
        {
            chunks++;
        }

        Assert.True(chunks > 8, $"the snapshot ({chunks} chunks) is larger than DRAM");
        for (int c = 1; c <= chunks; c++)
        {
            Assert.True(store.Remove(SnapshotKeys.Chunk(snapshot, c)));
        }

        BlockKey manifest = SnapshotKeys.Manifest(snapshot);
        Assert.Equal(1, store.PrefetchAsync(new[] { manifest }).GetAwaiter().GetResult());
        Assert.Equal(0, store.TierOf(manifest));
        return ([.. first, .. TinyModelFixture.Tokens(13, 20)], snapshot, chunks);
    }

    [Fact]
    public async Task A_snapshot_only_the_shared_tier_holds_is_kept_while_it_is_down_and_restored_once_it_is_back()
    {
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveThenLetGoOfChunks(context, cache, store);
        BlockKey manifest = SnapshotKeys.Manifest(snapshot);
        BlockKey waypoint = SnapshotKeys.Waypoint(KeysOf(prompt)[7]); // the first of the session's waypoints (every 8 blocks)
        Assert.Equal(1, store.TierOf(waypoint));
        remote.Down = true;

        PrefixRestore missed = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Miss, missed.Outcome); // nothing known to be wrong with it: not corrupt
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.True(store.Contains(manifest)); // kept: on main, removed as missing a chunk
        Assert.True(store.Contains(waypoint)); // its waypoints too: on main, one not reached was removed
        Assert.Equal(1, ChunkReads(remote, snapshot, chunks)); // the first chunk the store did not hold, alone
        Assert.Equal(0, store.GetStatistics().Tiers.Sum(t => t.ChecksumFailures));

        // A prompt that shares only the session's first blocks reaches the snapshot through the waypoint: kept too.
        LLamaToken[] branch = [.. prompt[..128], .. TinyModelFixture.Tokens(14, 40)];
        Assert.Equal(RestoreOutcome.Miss, (await model.RestoreCheckedAsync(context, cache, branch)).Outcome);
        Assert.True(store.Contains(manifest));
        Assert.True(store.Contains(waypoint));

        remote.Down = false;
        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
        Assert.Equal(1, restored.SourceTier); // fetched from the shared tier
        Assert.Equal(128, (await model.RestoreCheckedAsync(context, cache, branch)).RestoredTokens); // through the waypoint
    }

    [Fact]
    public async Task A_chunk_the_shared_tier_lacks_too_is_a_miss_and_the_other_chunks_are_not_read()
    {
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveThenLetGoOfChunks(context, cache, store);
        remote.Forget(SnapshotKeys.Chunk(snapshot, 1)); // expired on the server

        PrefixRestore missed = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Miss, missed.Outcome);
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.False(store.Contains(SnapshotKeys.Manifest(snapshot))); // unusable: removed
        for (int c = 2; c <= chunks; c++)
        {
            Assert.Equal(0, remote.ReadsOf(SnapshotKeys.Chunk(snapshot, c)));
        }
    }

    [Fact]
    public async Task A_chunk_the_shared_tier_serves_forged_makes_the_snapshot_corrupt()
    {
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, _) = SaveThenLetGoOfChunks(context, cache, store);
        remote.Fail(SnapshotKeys.Chunk(snapshot, 1), ReadFailure.Corrupt); // its seal fails: forged

        PrefixRestore missed = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Corrupt, missed.Outcome);
        Assert.Equal(1, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(1, store.GetStatistics().Tiers[1].ChecksumFailures);
        Assert.False(store.Contains(SnapshotKeys.Manifest(snapshot)));
    }

    /// <summary>Reads (and fetches) of the snapshot's chunks so far.</summary>
    private static int ChunkReads(RemoteLikeDevice remote, BlockKey snapshot, int chunks)
    {
        int reads = 0;
        for (int c = 1; c <= chunks; c++)
        {
            reads += remote.ReadsOf(SnapshotKeys.Chunk(snapshot, c));
        }

        return reads;
    }

    private BlockKey[] KeysOf(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys;
    }
}
