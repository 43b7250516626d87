using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// Two servers of a fleet on one shared tier: server A saves a session, server B, whose tiers never held it (a router
/// sent the session elsewhere, a failover, a restarted process), restores it from the shared tier. Before fleet30 the
/// restore found a snapshot only through its store's table (<c>Contains</c> on a manifest or waypoint key), so B
/// prefilled the whole context though the shared tier held the manifest, the waypoints and every chunk.
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class FleetRestoreTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;
    private static readonly TierProfile Remote = new("remote", TierKind.Remote, 1e9, 1e9, TimeSpan.FromMicroseconds(100), 0, 0);

    private readonly ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)> _server = new();

    /// <summary>A server's store: DRAM of <paramref name="dramBlocks"/>, then its view of the fleet's shared tier.</summary>
    private TieredKvStore Open(out SharedRemoteLikeDevice remote, int dramBlocks = 8, int remoteBlocks = 1024)
    {
        var device = new SharedRemoteLikeDevice(remoteBlocks, model.Layout.BytesPerBlock, readWindow: 8, _server);
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, dramBlocks));
        options.Tiers.Add(new TierOptions(Remote, remoteBlocks) { DeviceFactory = (_, _) => device });
        remote = device;
        return new TieredKvStore(options);
    }

    /// <summary>
    /// Server A saves a 300-token session, then another that pushes the first one's pieces (manifest included) out of
    /// its DRAM into the shared tier. The prompt that continues the session, and the session's snapshot key.
    /// </summary>
    private (LLamaToken[] Prompt, BlockKey Snapshot) ServerASavesASession()
    {
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LLamaToken[] session = TinyModelFixture.Tokens(31, 300);
        TinyModelFixture.PrefillAndSave(context, cache, session);
        TinyModelFixture.PrefillAndSave(context, cache, TinyModelFixture.Tokens(32, 300));
        BlockKey snapshot = KeysOf(session)[^1];
        Assert.True(remote.ServerHas(SnapshotKeys.Manifest(snapshot)));
        Assert.True(remote.ServerHas(SnapshotKeys.Chunk(snapshot, 1)));
        return ([.. session, .. TinyModelFixture.Tokens(33, 20)], snapshot);
    }

    [Fact]
    public async Task A_server_that_never_held_the_session_restores_it_from_the_shared_tier_in_one_query()
    {
        (LLamaToken[] prompt, BlockKey snapshot) = ServerASavesASession();
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        Assert.Equal(0, store.Count); // server B holds nothing

        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome); // on main: Miss, the whole prompt prefilled
        Assert.Equal(288, restored.RestoredTokens);
        Assert.Equal(1, restored.SourceTier); // read from the shared tier
        Assert.Equal(1, remote.HoldsQueries); // every candidate manifest and waypoint in one query
        Assert.Equal(0, remote.PrefixQueries);
        Assert.Equal(1, remote.ReadsOf(SnapshotKeys.Manifest(snapshot)));

        // A prompt sharing only the session's first 128 tokens reaches the snapshot through a waypoint the shared tier holds.
        using TieredKvStore fresh = Open(out SharedRemoteLikeDevice other);
        var branchCache = new LlamaPrefixCache(fresh, model.Hasher);
        LLamaToken[] branch = [.. prompt[..128], .. TinyModelFixture.Tokens(34, 40)];
        PrefixRestore viaWaypoint = await model.RestoreCheckedAsync(context, branchCache, branch);
        Assert.Equal(RestoreOutcome.Restored, viaWaypoint.Outcome);
        Assert.Equal(128, viaWaypoint.RestoredTokens);
        Assert.Equal(1, other.HoldsQueries);
    }

    [Fact]
    public async Task The_restore_awaits_the_shared_tiers_query_without_holding_its_callers_thread()
    {
        (LLamaToken[] prompt, _) = ServerASavesASession();
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        remote.HoldsGate = reply.Task; // the server's answer has not come yet

        // Before, the search asked the synchronous Holds and the thread waited there for the round trip.
        Task<PrefixRestore> restoring = model.RestoreCheckedAsync(context, cache, prompt);
        Assert.False(restoring.IsCompleted);
        Assert.Equal(1, remote.HoldsWaiting);

        reply.SetResult();
        PrefixRestore restored = await restoring.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
        Assert.Equal(1, remote.HoldsQueries);
    }

    [Fact]
    public async Task With_the_shared_tier_down_the_server_prefills_and_restores_once_it_is_back()
    {
        (LLamaToken[] prompt, _) = ServerASavesASession();
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        remote.Down = true;

        PrefixRestore missed = await model.RestoreCheckedAsync(context, cache, prompt); // no exception
        Assert.Equal(RestoreOutcome.Miss, missed.Outcome);
        Assert.Equal(0, missed.RestoredTokens);
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);

        remote.Down = false;
        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
    }

    [Fact]
    public async Task A_manifest_the_shared_tier_serves_forged_is_not_restored()
    {
        (LLamaToken[] prompt, BlockKey snapshot) = ServerASavesASession();
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        BlockKey manifest = SnapshotKeys.Manifest(snapshot);
        remote.Fail(manifest, ReadFailure.Corrupt); // its checksum or seal fails on the fetch: damaged or forged

        PrefixRestore forged = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.NotEqual(RestoreOutcome.Restored, forged.Outcome);
        Assert.Equal(0, forged.RestoredTokens);
        Assert.Equal(1, store.GetStatistics().Tiers[1].ChecksumFailures);

        // A value that passes the tier's checks but is no manifest of this snapshot (a forger's valid block) is not either.
        using TieredKvStore other = Open(out SharedRemoteLikeDevice planted);
        var otherCache = new LlamaPrefixCache(other, model.Hasher);
        planted.Plant(manifest, new byte[SnapshotManifest.Size]);
        PrefixRestore garbage = await model.RestoreCheckedAsync(context, otherCache, prompt);
        Assert.Equal(RestoreOutcome.Corrupt, garbage.Outcome);
        Assert.Equal(0, garbage.RestoredTokens);
        Assert.False(other.Contains(manifest));
    }

    [Fact]
    public async Task A_snapshot_larger_than_the_stores_tiers_is_published_when_the_shared_tier_holds_every_chunk()
    {
        // DRAM and the store's share of the shared tier together hold fewer blocks than the snapshot has chunks: the
        // tier lets the first chunks go (the server keeps their values). Before fleet30 Write took them for gone and
        // refused to publish.
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote, dramBlocks: 4, remoteBlocks: 8);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LLamaToken[] session = TinyModelFixture.Tokens(35, 300);
        BlockKey snapshot = KeysOf(session)[^1];
        TinyModelFixture.PrefillAndSave(context, cache, session); // on main: Rejected

        Assert.False(store.Contains(SnapshotKeys.Chunk(snapshot, 1))); // let go by the store, held by the server
        Assert.True(remote.ServerHas(SnapshotKeys.Chunk(snapshot, 1)));
        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, [.. session, .. TinyModelFixture.Tokens(36, 20)]);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
    }

    [Fact]
    public void A_snapshot_whose_let_go_chunk_the_shared_tier_lacks_is_not_published()
    {
        // The window a write-behind write leaves (the store let the chunk go before its write landed) looks the same to
        // the writer: the server does not have it, so no manifest is published over it.
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote, dramBlocks: 4, remoteBlocks: 8);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        LLamaToken[] session = TinyModelFixture.Tokens(37, 300);
        BlockKey snapshot = KeysOf(session)[^1];
        remote.Down = true; // nothing the store lets go can be confirmed on the server

        context.NativeHandle.MemorySequenceRemove(Seq, -1, -1);
        LlamaPrefill.Prefill(context.NativeHandle, Seq, session, 0);
        Assert.NotEqual(SaveOutcome.Stored, cache.Save(context, Seq, session).Outcome);
        Assert.False(store.Contains(SnapshotKeys.Manifest(snapshot)));
    }

    private BlockKey[] KeysOf(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys;
    }
}
