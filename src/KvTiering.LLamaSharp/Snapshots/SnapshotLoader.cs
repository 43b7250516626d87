using System.IO.Hashing;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Finds the deepest snapshot a prompt shares (by its key or a waypoint, <see cref="SnapshotWaypoints"/>; held by the
/// store or by its shared tier, <see cref="SnapshotSearch"/>) and reads it
/// back verified into <see cref="SnapshotStore.Buffer"/>, awaiting the chunks' batch read (<see cref="SnapshotChunks"/>)
/// instead of blocking a thread on it. Not thread-safe: it fills the shared payload buffer, so the cache serializes it
/// with saves.
/// </summary>
internal sealed class SnapshotLoader(TieredKvStore store, SnapshotStore snapshots)
{
    private readonly int _chunkBytes = store.BlockBytes;
    private readonly SnapshotSearch _search = new(store, snapshots);

    /// <summary>
    /// The deepest snapshot that covers <paramref name="keys"/>' blocks up to its own key, reached through its manifest
    /// or through a waypoint, read back into the payload buffer and checked token by token against
    /// <paramref name="prompt"/>. Corrupt snapshots found on the way (bytes that failed verification) are removed and
    /// counted; one missing a piece is removed, not counted; a waypoint that leads nowhere is removed. A cancelled lookup throws <see cref="OperationCanceledException"/> once its reads in flight
    /// have ended, and removes nothing on account of the reads it did not finish.
    /// </summary>
    public async Task<SnapshotLookup> FindLongestAsync(ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<int> prompt, int blockTokens,
        CancellationToken cancellationToken)
    {
        int corrupt = 0;
        Dictionary<BlockKey, LoadResult>? failed = null; // not loaded by this call: waypoints below lead to them too
        await _search.BeginAsync(keys, cancellationToken).ConfigureAwait(false); // what the table lacks: one query of the shared tier
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryLocate(keys.Span[i], i, out BlockKey snapshot, out BlockKey waypoint))
            {
                continue;
            }

            if (failed is not null && failed.TryGetValue(snapshot, out LoadResult before))
            {
                // Read once already: a removed snapshot's pieces may still be fetched from a shared remote tier (which
                // keeps values other stores may want), so loading it again would read every chunk again, per waypoint.
                if (!waypoint.IsEmpty && before != LoadResult.Unreachable)
                {
                    store.Remove(waypoint);
                }

                continue;
            }

            (LoadResult load, SnapshotManifest manifest, int deepestTier) = await LoadAsync(snapshot, cancellationToken).ConfigureAwait(false);
            if (load != LoadResult.Loaded)
            {
                (failed ??= [])[snapshot] = load;
            }

            if (load == LoadResult.Unreachable)
            {
                continue; // kept, and so is its waypoint: the next restore reads it once the device answers
            }

            if (load != LoadResult.Loaded)
            {
                // Only bytes that failed verification count: a piece simply gone (evicted since, or lost with a remote
                // server that restarted empty) is a miss, though the snapshot is just as unusable.
                if (load == LoadResult.Corrupt)
                {
                    corrupt++;
                }

                if (!waypoint.IsEmpty)
                {
                    store.Remove(waypoint); // it points at nothing usable now
                }

                continue;
            }

            // The tokens stored with the snapshot locate the exact divergence; keys only say "same up to block i".
            ReadOnlySpan<int> covered = MemoryMarshal.Cast<byte, int>(snapshots.Buffer.AsSpan(0, (int)manifest.TokenBytes));
            int matched = prompt.Span.CommonPrefixLength(covered) / blockTokens * blockTokens;
            if (matched >= (i + 1) * blockTokens)
            {
                return new SnapshotLookup(true, manifest, matched, deepestTier, corrupt);
            }

            // Fewer: a 128-bit key collision, or a big-endian host: never trust the state.
        }

        return new SnapshotLookup(false, default, 0, -1, corrupt);
    }

    /// <summary>
    /// The snapshot stored under <paramref name="key"/> itself, or the one its waypoint points at, held locally or by the
    /// shared tier (<see cref="SnapshotSearch"/>); the waypoint is read (fetched and verified) here.
    /// </summary>
    private bool TryLocate(in BlockKey key, int index, out BlockKey snapshot, out BlockKey waypoint)
    {
        waypoint = default;
        if (_search.Manifest(key, index))
        {
            snapshot = key;
            return true;
        }

        snapshot = default;
        return _search.Waypoint(key, index, out waypoint)
            && snapshots.Waypoints.TryRead(waypoint, snapshots.Payload(_chunkBytes).AsSpan(0, _chunkBytes), out snapshot);
    }

    /// <summary>
    /// Reads snapshot <paramref name="snapshot"/>'s manifest and every chunk into the payload buffer and verifies the
    /// payload checksum. A corrupt snapshot, or one missing a chunk, is removed from the store, so it is not tried again; one whose piece could
    /// not be read because its device did not answer (the piece is still resident) is left for the next restore. The
    /// chunks are read as one batch, none promoted (<see cref="SnapshotChunks"/>).
    /// </summary>
    private async Task<(LoadResult Result, SnapshotManifest Manifest, int DeepestTier)> LoadAsync(BlockKey snapshot,
        CancellationToken cancellationToken)
    {
        BlockKey manifestKey = SnapshotKeys.Manifest(snapshot);
        byte[] buffer = snapshots.Payload(_chunkBytes);
        if (!store.TryGet(manifestKey, buffer.AsSpan(0, _chunkBytes), out int length, out int tier, out BlockMiss miss))
        {
            return (PieceMisses.Of(miss), default, -1); // the read's own cause: corrupt, gone, or not reached just now
        }

        if (!SnapshotManifest.TryRead(buffer.AsSpan(0, length), snapshot, _chunkBytes, out SnapshotManifest manifest))
        {
            store.Remove(manifestKey);
            return (LoadResult.Corrupt, default, -1);
        }

        buffer = snapshots.Payload(manifest.PayloadLength);
        (LoadResult chunks, int deepest) = await SnapshotChunks.ReadAsync(store, snapshot, manifest, buffer, cancellationToken)
            .ConfigureAwait(false);
        if (chunks is LoadResult.Corrupt or LoadResult.Missing
            || (chunks == LoadResult.Loaded
                && XxHash3.HashToUInt64(buffer.AsSpan(0, (int)manifest.PayloadLength)) != manifest.PayloadChecksum))
        {
            snapshots.Remove(snapshot, manifest.ChunkCount);
            return (chunks == LoadResult.Missing ? LoadResult.Missing : LoadResult.Corrupt, default, -1);
        }

        return (chunks, manifest, Math.Max(tier, deepest));
    }
}
