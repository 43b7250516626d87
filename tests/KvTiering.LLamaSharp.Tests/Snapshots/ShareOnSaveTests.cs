using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A saved snapshot is copied to the shared tier when it is saved (<see cref="LlamaPrefixCacheOptions.ShareSnapshots"/>),
/// chunks first, the manifest last, the waypoints after it, so a server that dies with the snapshot still in its DRAM
/// loses the fleet nothing (write30). Before, a piece reached the shared tier only when the store demoted it: the fleet
/// drill's session 5 was a miss on server B.
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class ShareOnSaveTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;
    private static readonly TierProfile Remote = new("remote", TierKind.Remote, 1e9, 1e9, TimeSpan.FromMicroseconds(100), 0, 0);

    private readonly ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)> _server = new();

    /// <summary>A server's store: a DRAM large enough that nothing is demoted, then its view of the fleet's shared tier.</summary>
    private TieredKvStore Open(out SharedRemoteLikeDevice remote, bool canShare = true)
    {
        var device = new SharedRemoteLikeDevice(1024, model.Layout.BytesPerBlock, readWindow: 8, _server) { CanShare = canShare };
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 256));
        options.Tiers.Add(new TierOptions(Remote, 1024) { DeviceFactory = (_, _) => device });
        remote = device;
        return new TieredKvStore(options);
    }

    [Fact]
    public async Task A_snapshot_still_in_DRAM_is_restored_by_another_server_after_its_own_is_gone()
    {
        LLamaToken[] session = TinyModelFixture.Tokens(41, 300);
        BlockKey snapshot = KeysOf(session)[^1];
        BlockKey[] order;
        using (TieredKvStore storeA = Open(out SharedRemoteLikeDevice remoteA))
        {
            var cacheA = new LlamaPrefixCache(storeA, model.Hasher); // on by default: the store has a shared tier that takes copies
            using LLamaContext contextA = model.CreateContext();
            SnapshotSave save = TinyModelFixture.PrefillAndSave(contextA, cacheA, session);

            Assert.NotNull(save.Share); // on main: no share; the snapshot stays in A's DRAM only
            SnapshotShare shared = await save.Share;
            Assert.True(shared.Complete);
            Assert.Equal(save.Chunks - 1, shared.Chunks.Copied);
            Assert.Equal(0, storeA.TierOf(SnapshotKeys.Manifest(snapshot))); // not demoted: copied
            Assert.Equal(0, storeA.TierOf(SnapshotKeys.Chunk(snapshot, 1)));
            await cacheA.FlushSharesAsync();
            Assert.Equal(1, cacheA.GetStatistics().SharesComplete);
            order = [.. remoteA.Shared];
        } // server A is gone; its DRAM with it, nothing demoted

        // Every chunk before the manifest, every waypoint after it: no server can find a manifest whose chunks are missing.
        int manifestAt = Array.IndexOf(order, SnapshotKeys.Manifest(snapshot));
        Assert.True(manifestAt > 0);
        Assert.All(order[..manifestAt], k => Assert.NotEqual(-1, ChunkIndex(snapshot, k)));
        Assert.Equal(manifestAt, order[..manifestAt].Distinct().Count());
        Assert.NotEmpty(order[(manifestAt + 1)..]); // the waypoints
        Assert.All(order[(manifestAt + 1)..], k => Assert.Equal(-1, ChunkIndex(snapshot, k)));

        using TieredKvStore storeB = Open(out SharedRemoteLikeDevice remoteB);
        var cacheB = new LlamaPrefixCache(storeB, model.Hasher);
        using LLamaContext contextB = model.CreateContext();
        PrefixRestore restored = await model.RestoreCheckedAsync(contextB, cacheB, [.. session, .. TinyModelFixture.Tokens(42, 20)]);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
        Assert.Equal(1, restored.SourceTier);

        // A prompt sharing only the first 128 tokens reaches it through a shared waypoint.
        using TieredKvStore storeC = Open(out _);
        var cacheC = new LlamaPrefixCache(storeC, model.Hasher);
        PrefixRestore viaWaypoint = await model.RestoreCheckedAsync(contextB, cacheC, [.. session[..128], .. TinyModelFixture.Tokens(43, 40)]);
        Assert.Equal(RestoreOutcome.Restored, viaWaypoint.Outcome);
        Assert.Equal(128, viaWaypoint.RestoredTokens);
    }

    [Fact]
    public async Task A_chunk_the_server_refuses_keeps_the_manifest_off_it_and_the_save_says_so()
    {
        LLamaToken[] session = TinyModelFixture.Tokens(44, 300);
        BlockKey snapshot = KeysOf(session)[^1];
        using TieredKvStore storeA = Open(out SharedRemoteLikeDevice remoteA);
        var cacheA = new LlamaPrefixCache(storeA, model.Hasher);
        using LLamaContext context = model.CreateContext();
        remoteA.RefusedShares[SnapshotKeys.Chunk(snapshot, 2)] = true;

        SnapshotShare shared = await TinyModelFixture.PrefillAndSave(context, cacheA, session).Share!;

        Assert.False(shared.Complete);
        Assert.False(shared.ManifestShared);
        Assert.Equal(1, shared.Chunks.Failed);
        Assert.False(remoteA.ServerHas(SnapshotKeys.Manifest(snapshot)));
        Assert.DoesNotContain(remoteA.Shared, k => ChunkIndex(snapshot, k) == -1); // no manifest, no waypoint
        await cacheA.FlushSharesAsync();
        Assert.Equal(1, cacheA.GetStatistics().SharesIncomplete);

        // Server B finds nothing to restore and prefills; A itself still restores from its own tiers.
        using TieredKvStore storeB = Open(out _);
        LLamaToken[] prompt = [.. session, .. TinyModelFixture.Tokens(45, 20)];
        Assert.Equal(RestoreOutcome.Miss, (await model.RestoreCheckedAsync(context, new LlamaPrefixCache(storeB, model.Hasher), prompt)).Outcome);
        Assert.Equal(RestoreOutcome.Restored, (await model.RestoreCheckedAsync(context, cacheA, prompt)).Outcome);
    }

    [Fact]
    public void Sharing_is_off_without_a_shared_tier_that_takes_copies_and_asking_for_it_then_is_an_error()
    {
        using TieredKvStore store = Open(out _, canShare: false);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        Assert.Null(TinyModelFixture.PrefillAndSave(context, cache, TinyModelFixture.Tokens(46, 100)).Share);

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => new LlamaPrefixCache(store, model.Hasher, new LlamaPrefixCacheOptions { ShareSnapshots = true }));
        Assert.Contains("ShareSnapshots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sharing_can_be_turned_off_over_a_shared_tier()
    {
        using TieredKvStore store = Open(out SharedRemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher, new LlamaPrefixCacheOptions { ShareSnapshots = false });
        using LLamaContext context = model.CreateContext();
        Assert.Null(TinyModelFixture.PrefillAndSave(context, cache, TinyModelFixture.Tokens(47, 100)).Share);
        await cache.FlushSharesAsync();
        Assert.Empty(remote.Shared);
    }

    /// <summary>The chunk index of <paramref name="key"/> in <paramref name="snapshot"/> (1..64), or -1 (the manifest, a waypoint).</summary>
    private static int ChunkIndex(BlockKey snapshot, BlockKey key)
    {
        for (int c = 1; c <= 64; c++)
        {
            if (SnapshotKeys.Chunk(snapshot, c).Equals(key))
            {
                return c;
            }
        }

        return -1;
    }

    private BlockKey[] KeysOf(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys;
    }
}
