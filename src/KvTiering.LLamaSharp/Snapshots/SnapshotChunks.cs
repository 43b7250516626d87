using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Reads a snapshot's data chunks back as one batch (<see cref="TieredKvStore.ReadBatchAsync"/>): a remote tier's
/// window of reads in flight, and none promoted, so a snapshot larger than the memory tiers no longer pushes out its
/// own unread chunks, and a restore costs the tiers below no demotion writes. A snapshot is read once per turn and
/// replaced by the turn's own save, so leaving its chunks where they are loses no later hit.
/// </summary>
internal static class SnapshotChunks
{
    /// <summary>
    /// Reads chunks 1..<c>ChunkCount</c> of <paramref name="snapshot"/> into <paramref name="buffer"/> (whole chunks,
    /// from 0); also the deepest tier read. <see cref="LoadResult.Missing"/>: a chunk this read found gone (its device
    /// lost it, or the store dropped it for failing verification: the caller tells which); <see cref="LoadResult.Corrupt"/>:
    /// a chunk was gone before the read (nothing is read then), or has the wrong length;
    /// <see cref="LoadResult.Unreachable"/>: every chunk not read is still resident, its device just did not answer. The
    /// payload checksum is the caller's. Cancelled, it throws once the reads in flight have ended, with every chunk where
    /// it was.
    /// </summary>
    public static async Task<(LoadResult Result, int DeepestTier)> ReadAsync(TieredKvStore store, BlockKey snapshot,
        SnapshotManifest manifest, byte[] buffer, CancellationToken cancellationToken)
    {
        int chunkBytes = store.BlockBytes;
        var keys = new BlockKey[manifest.ChunkCount];
        for (int c = 0; c < keys.Length; c++)
        {
            keys[c] = SnapshotKeys.Chunk(snapshot, c + 1);
            if (!store.Contains(keys[c]))
            {
                // Gone before any read, so why is not known here: evicted, or dropped by a flash tier that found its
                // bytes bad when it opened (PersistenceTests). An incomplete snapshot, counted corrupt as always.
                return (LoadResult.Corrupt, -1);
            }
        }

        var reads = new BlockRead[keys.Length];
        await store.ReadBatchAsync(keys, buffer, reads, cancellationToken).ConfigureAwait(false);
        LoadResult result = LoadResult.Loaded;
        int deepestTier = -1;
        for (int c = 0; c < keys.Length; c++)
        {
            int expected = (int)Math.Min(chunkBytes, manifest.PayloadLength - ((long)c * chunkBytes));
            if (!reads[c].Found)
            {
                // Still resident: its device could not be reached just now (a remote timeout), which says nothing
                // about its bytes. Gone: this read found it lost or failing verification, and so is the snapshot.
                if (!store.Contains(keys[c]))
                {
                    return (LoadResult.Missing, -1);
                }

                result = LoadResult.Unreachable;
                continue;
            }

            if (reads[c].BytesWritten != expected)
            {
                return (LoadResult.Corrupt, -1);
            }

            deepestTier = Math.Max(deepestTier, reads[c].Tier);
        }

        return (result, deepestTier);
    }
}
