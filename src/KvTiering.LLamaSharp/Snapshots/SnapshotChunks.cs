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
    /// from 0); also the deepest tier read, by the worst of what the chunks' reads found (<see cref="PieceMisses"/>):
    /// <see cref="LoadResult.Corrupt"/>: a chunk's bytes failed verification, or it has the wrong length;
    /// <see cref="LoadResult.Missing"/>: a chunk was gone before the read (nothing is read then) or its device lost it;
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
                // Gone before any read: evicted or removed, a miss. A flash tier that found the chunk's record damaged
                // when it opened dropped it then, and keeps no note of it, so that counts as a miss too
                // (docs/llamasharp.md, "Corrupt or missing"); the tier counted it when it opened.
                return (LoadResult.Missing, -1);
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
                // The read's own cause: an unreachable chunk (a remote timeout) says nothing about its bytes and is
                // still resident; a lost or gone one makes the snapshot missing; a corrupt one, corrupt, whatever else
                // the other chunks found.
                result = Worse(result, PieceMisses.Of(reads[c].Miss));
                continue;
            }

            if (reads[c].BytesWritten != expected)
            {
                return (LoadResult.Corrupt, -1);
            }

            deepestTier = Math.Max(deepestTier, reads[c].Tier);
        }

        return (result, result == LoadResult.Loaded ? deepestTier : -1);
    }

    /// <summary>The worse of two results: corrupt over missing over unreachable over loaded.</summary>
    private static LoadResult Worse(LoadResult a, LoadResult b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(LoadResult r) => r switch
    {
        LoadResult.Corrupt => 3,
        LoadResult.Missing => 2,
        LoadResult.Unreachable => 1,
        _ => 0,
    };
}
