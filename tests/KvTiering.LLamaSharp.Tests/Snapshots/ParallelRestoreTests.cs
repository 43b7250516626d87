using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A snapshot whose chunks lie on a remote tier is read back with the tier's window of reads in flight, ending out of
/// order, and its chunks stay where they are (none promoted, so none pushes out another). A missing or corrupt chunk
/// still means the snapshot is gone (removed, never wrong bytes); one its device lost (a server restarted empty) is
/// removed too but counted a miss, not corrupt; a chunk whose device could not be reached leaves the snapshot for the
/// next restore: before, such a read removed it (the remote drill's 100 ms run lost one to a timeout).
/// </summary>
[Collection(TinyModelGroup.Name)]
public sealed class ParallelRestoreTests(TinyModelFixture model)
{
    private static readonly LLamaSeqId Seq = TinyModelFixture.Sequence;
    private static readonly TierProfile Remote = new("remote", TierKind.Remote, 1e9, 1e9, TimeSpan.FromMicroseconds(100), 0, 0);

    private TieredKvStore Open(out RemoteLikeDevice remote, bool shared = false)
    {
        RemoteLikeDevice device = shared
            ? new SharedRemoteLikeDevice(1024, model.Layout.BytesPerBlock, readWindow: 8)
            : new RemoteLikeDevice(1024, model.Layout.BytesPerBlock, readWindow: 8);
        var options = new KvStoreOptions { Layout = model.Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8));
        options.Tiers.Add(new TierOptions(Remote, 1024) { DeviceFactory = (_, _) => device });
        remote = device;
        return new TieredKvStore(options);
    }

    /// <summary>Saves a 300-token session, then another, so the first one's snapshot lies on the remote tier; its key and chunk count.</summary>
    private (LLamaToken[] Prompt, BlockKey Snapshot, int Chunks) SaveBelow(LLamaContext context, LlamaPrefixCache cache, TieredKvStore store)
    {
        LLamaToken[] first = TinyModelFixture.Tokens(7, 300);
        TinyModelFixture.PrefillAndSave(context, cache, first);
        TinyModelFixture.PrefillAndSave(context, cache, TinyModelFixture.Tokens(8, 300));
        var keys = new BlockKey[first.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(first.AsSpan()), keys);
        BlockKey snapshot = keys[^1];
        int chunks = 0;
        while (store.Contains(SnapshotKeys.Chunk(snapshot, chunks + 1)))
        {
            chunks++;
        }

        Assert.True(chunks > 8, $"the snapshot ({chunks} chunks) is larger than DRAM");
        for (int c = 1; c <= chunks; c++)
        {
            Assert.Equal(1, store.TierOf(SnapshotKeys.Chunk(snapshot, c)));
        }

        return ([.. first, .. TinyModelFixture.Tokens(9, 20)], snapshot, chunks);
    }

    /// <summary>The key of the snapshot a save of <paramref name="tokens"/> stored (its last full block's).</summary>
    private BlockKey SnapshotOf(LLamaToken[] tokens)
    {
        var keys = new BlockKey[tokens.Length / model.Hasher.TokensPerBlock];
        model.Hasher.ComputeKeys(System.Runtime.InteropServices.MemoryMarshal.Cast<LLamaToken, int>(tokens.AsSpan()), keys);
        return keys[^1];
    }

    [Fact]
    public async Task A_snapshot_on_the_remote_tier_is_read_with_reads_in_flight_and_its_chunks_stay_there()
    {
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);

        PrefixRestore restore = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restore.Outcome);
        Assert.Equal(288, restore.RestoredTokens);
        Assert.Equal(1, restore.SourceTier);
        Assert.True(remote.MaxInFlight > 1, $"reads in flight at once: {remote.MaxInFlight}");
        for (int c = 1; c <= chunks; c++)
        {
            Assert.Equal(1, store.TierOf(SnapshotKeys.Chunk(snapshot, c))); // read where they are, not promoted
        }
    }

    [Fact]
    public async Task A_chunk_whose_device_cannot_be_reached_leaves_the_snapshot_for_the_next_restore()
    {
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey chunk = SnapshotKeys.Chunk(snapshot, chunks / 2);
        remote.Fail(chunk, ReadFailure.Unreachable);

        PrefixRestore missed = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Miss, missed.Outcome); // not corrupt: nothing is known to be wrong with it
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.True(store.Contains(SnapshotKeys.Manifest(snapshot)));
        Assert.True(store.Contains(chunk));

        remote.Heal(chunk);
        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_corrupt_chunk_makes_the_snapshot_corrupt_a_removed_one_a_miss_and_either_removes_it(bool corrupt)
    {
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey chunk = SnapshotKeys.Chunk(snapshot, chunks - 1);
        if (corrupt)
        {
            remote.Fail(chunk, ReadFailure.Corrupt);
        }
        else
        {
            Assert.True(store.Remove(chunk));
        }

        // A chunk gone before the read (removed, evicted) is a miss: nothing says its bytes were bad. Before, it
        // counted corrupt, as every piece gone before the read did.
        PrefixRestore restore = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(corrupt ? RestoreOutcome.Corrupt : RestoreOutcome.Miss, restore.Outcome);
        Assert.Equal(corrupt ? 1 : 0, cache.GetStatistics().CorruptSnapshots);
        Assert.False(store.Contains(SnapshotKeys.Manifest(snapshot)));
        Assert.False(store.Contains(SnapshotKeys.Chunk(snapshot, 1)));
    }

    [Fact]
    public async Task A_chunk_its_device_lost_is_a_miss_though_a_prefetch_meanwhile_found_another_block_corrupt()
    {
        // The restore told corrupt from missing by the store's checksum-failure count before and after its reads: a
        // queued request's prefetch whose block failed verification in between made a lost chunk count corrupt. The
        // read's own cause (BlockMiss) does not depend on what other callers' reads found.
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey lost = SnapshotKeys.Chunk(snapshot, chunks / 2);
        BlockKey other = SnapshotKeys.Chunk(SnapshotOf(TinyModelFixture.Tokens(8, 300)), 1); // the other session's
        Assert.Equal(1, store.TierOf(other));
        remote.Fail(lost, ReadFailure.Lost);
        remote.Fail(other, ReadFailure.Corrupt);
        remote.Stall(lost);

        Task<PrefixRestore> restore;
        context.NativeHandle.MemorySequenceRemove(Seq, -1, -1);
        try
        {
            restore = cache.RestoreAsync(context, Seq, prompt);
            await remote.Stalled.WaitAsync(TimeSpan.FromSeconds(30)); // the restore's reads are in flight
            Assert.Equal(0, await store.PrefetchAsync(new[] { other }));
            Assert.Equal(1, store.GetStatistics().Tiers[1].ChecksumFailures); // the prefetch's, during the restore
        }
        finally
        {
            remote.Answer(lost);
        }

        PrefixRestore missed = await restore.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RestoreOutcome.Miss, missed.Outcome);
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(1, store.GetStatistics().Tiers[1].LostBlocks);
        Assert.False(store.Contains(SnapshotKeys.Manifest(snapshot))); // unusable all the same: removed
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Seq, prompt, 0).ToArray();
        Assert.Equal(model.Recompute(prompt), logits);
    }

    [Theory]
    [InlineData("chunk")]
    [InlineData("manifest")]
    public async Task A_snapshot_whose_piece_its_device_lost_is_a_miss_not_corrupt(string gone)
    {
        // A remote server that restarted empty loses a snapshot's values (the device says "lost"); the store drops
        // what it can no longer read, as it drops a block that failed verification. The remote drill counted such
        // snapshots corrupt: the shared prefix's, its manifest gone with Garnet's data (part 1), and session 8's,
        // its chunks gone (part 2).
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey manifest = SnapshotKeys.Manifest(snapshot);
        BlockKey chunk = SnapshotKeys.Chunk(snapshot, chunks - 1);
        if (gone == "chunk")
        {
            remote.Fail(chunk, ReadFailure.Lost);
        }
        else
        {
            Assert.Equal(1, store.TierOf(manifest));
            remote.Fail(manifest, ReadFailure.Lost);
        }

        PrefixRestore restore = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Miss, restore.Outcome);
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(0, store.GetStatistics().Tiers.Sum(t => t.ChecksumFailures));
        Assert.False(store.Contains(manifest)); // unusable all the same: never tried again
        if (gone == "chunk")
        {
            Assert.False(store.Contains(SnapshotKeys.Chunk(snapshot, 1)));
        }
    }

    [Fact]
    public async Task A_corrupt_snapshot_that_a_shared_remote_still_serves_is_read_once_not_once_per_waypoint()
    {
        // Removing a snapshot from the store leaves its values on a shared server (Garnet keeps them for other
        // stores), so each waypoint below led to it again, fetched the manifest and read every chunk again: in the
        // remote drill's part 3, 24 waypoints, ~2 s per turn.
        using TieredKvStore store = Open(out RemoteLikeDevice remote, shared: true);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey chunk = SnapshotKeys.Chunk(snapshot, chunks - 1);
        remote.Fail(chunk, ReadFailure.Corrupt);

        PrefixRestore restore = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Corrupt, restore.Outcome);
        Assert.Equal(1, cache.GetStatistics().CorruptSnapshots);
        Assert.Equal(1, remote.ReadsOf(chunk));
    }

    [Fact]
    public async Task A_restore_cancelled_by_its_request_while_a_chunk_is_not_answered_ends_at_once_and_keeps_the_snapshot()
    {
        // Before, the restore was synchronous: it held the server's thread until the device answered or timed out,
        // and a client that left could not stop it.
        using TieredKvStore store = Open(out RemoteLikeDevice remote);
        var cache = new LlamaPrefixCache(store, model.Hasher);
        using LLamaContext context = model.CreateContext();
        (LLamaToken[] prompt, BlockKey snapshot, int chunks) = SaveBelow(context, cache, store);
        BlockKey chunk = SnapshotKeys.Chunk(snapshot, chunks / 2);
        remote.Stall(chunk);
        using var request = new CancellationTokenSource();

        Task<PrefixRestore> restore = cache.RestoreAsync(context, Seq, prompt, request.Token);
        TimeSpan took;
        try
        {
            await remote.Stalled.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(restore.IsCompleted); // waiting on the device, without a thread held
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await request.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => restore.WaitAsync(TimeSpan.FromSeconds(10)));
            took = clock.Elapsed;
        }
        finally
        {
            remote.Answer(chunk); // a restore that ignored the request ends too, so the store can close
            await Task.WhenAny(restore, Task.Delay(TimeSpan.FromSeconds(30)));
        }

        Assert.True(took < TimeSpan.FromSeconds(5), $"the cancelled restore took {took.TotalSeconds:F1} s to end");
        Assert.Equal(-1, context.NativeHandle.MemorySequenceMaxPosition(Seq).Value); // the sequence is left empty
        Assert.Equal(0, cache.GetStatistics().CorruptSnapshots);
        Assert.True(store.Contains(SnapshotKeys.Manifest(snapshot)));
        for (int c = 1; c <= chunks; c++)
        {
            Assert.Equal(1, store.TierOf(SnapshotKeys.Chunk(snapshot, c))); // intact, where it was
        }

        PrefixRestore restored = await model.RestoreCheckedAsync(context, cache, prompt);
        Assert.Equal(RestoreOutcome.Restored, restored.Outcome);
        Assert.Equal(288, restored.RestoredTokens);
    }
}
