using System.Diagnostics.CodeAnalysis;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Copies saved snapshots to the store's shared tier in the background (<see cref="TieredKvStore.ShareAsync"/>), so a
/// server that dies loses the fleet nothing: chunks first, the manifest only once every chunk is there (no server can
/// find a manifest whose chunks are missing), the waypoints only after the manifest they lead to. Before write30 a
/// piece reached the shared tier only when the store demoted it, so the newest snapshots died with their server.
/// </summary>
/// <remarks>
/// In the background because <c>Save</c> is synchronous and must not hold a thread for the round trips; a restore on
/// this server reads its local copies meanwhile. Thread-safe. <see cref="DrainAsync"/> waits for the shares in flight
/// (or cancels them), so an owner can let them end before it disposes the store.
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification = "The CancellationTokenSource is never given a timer (CancelAfter), so it holds nothing to dispose.")]
internal sealed class SnapshotShares(TieredKvStore store)
{
    private readonly Lock _gate = new();
    private readonly HashSet<Task<SnapshotShare>> _pending = [];
    private readonly CancellationTokenSource _cancel = new();
    private long _complete;
    private long _incomplete;

    /// <summary>Shares that put every piece on the shared tier.</summary>
    public long Complete => Interlocked.Read(ref _complete);

    /// <summary>Shares that did not (a piece not held, the tier down or failing, cancelled, the store closed).</summary>
    public long Incomplete => Interlocked.Read(ref _incomplete);

    /// <summary>Starts sharing the snapshot <paramref name="snapshot"/> of <paramref name="chunkCount"/> data chunks and its waypoints.</summary>
    public Task<SnapshotShare> Start(BlockKey snapshot, int chunkCount, BlockKey[] waypoints)
    {
        var chunks = new BlockKey[chunkCount];
        for (int c = 0; c < chunkCount; c++)
        {
            chunks[c] = SnapshotKeys.Chunk(snapshot, c + 1);
        }

        CancellationToken token = _cancel.Token;
        // Off the saving thread: the first step copies the chunks out of their tiers, a memcpy of the whole state.
        Task<SnapshotShare> share = Task.Run(() => ShareAsync(snapshot, chunks, waypoints, token), CancellationToken.None);
        lock (_gate)
        {
            _pending.Add(share);
        }

        _ = share.ContinueWith(Ended, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return share;
    }

    /// <summary>
    /// Waits for every share in flight; once <paramref name="cancellationToken"/> fires, cancels them (no new write is
    /// sent, those sent end) and still waits for them to end. Shares started meanwhile are waited for too.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.Register(static c => ((CancellationTokenSource)c!).Cancel(), _cancel);
        while (true)
        {
            Task<SnapshotShare>[] pending;
            lock (_gate)
            {
                pending = [.. _pending.Where(static t => !t.IsCompleted)]; // an ended one may not be removed yet
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending).ConfigureAwait(false); // a share faults only on a bug: that surfaces here
        }
    }

    private async Task<SnapshotShare> ShareAsync(BlockKey snapshot, BlockKey[] chunks, BlockKey[] waypoints, CancellationToken token)
    {
        ShareResult shared = default;
        try
        {
            shared = await store.ShareAsync(chunks, token).ConfigureAwait(false);
            if (!shared.Complete)
            {
                return new SnapshotShare(shared, false, default); // the manifest stays here: it would lead to missing chunks
            }

            ShareResult manifest = await store.ShareAsync(new[] { SnapshotKeys.Manifest(snapshot) }, token).ConfigureAwait(false);
            if (!manifest.Complete)
            {
                return new SnapshotShare(shared, false, default);
            }

            ShareResult led = waypoints.Length == 0 ? default : await store.ShareAsync(waypoints, token).ConfigureAwait(false);
            return new SnapshotShare(shared, true, led);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return new SnapshotShare(shared, false, default); // cancelled by DrainAsync, or the store closed under it
        }
    }

    private void Ended(Task<SnapshotShare> share)
    {
        if (share.IsCompletedSuccessfully && share.Result.Complete)
        {
            Interlocked.Increment(ref _complete);
        }
        else
        {
            Interlocked.Increment(ref _incomplete);
        }

        lock (_gate)
        {
            _pending.Remove(share);
        }
    }
}
