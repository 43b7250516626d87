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
    /// <see cref="LoadResult.Missing"/>: a chunk neither the store nor a shared tier it fetches from holds (the first
    /// one not held here is read alone first, so a gone chunk costs no other read) or its device lost it;
    /// <see cref="LoadResult.Unreachable"/>: every chunk not read may still be held, its device (or the shared tier
    /// holding it) just did not answer. The payload checksum is the caller's. Cancelled, it throws once the reads in
    /// flight have ended, with every chunk where it was.
    /// </summary>
    public static async Task<(LoadResult Result, int DeepestTier)> ReadAsync(TieredKvStore store, BlockKey snapshot,
        SnapshotManifest manifest, byte[] buffer, CancellationToken cancellationToken)
    {
        int chunkBytes = store.BlockBytes;
        var keys = new BlockKey[manifest.ChunkCount];
        int notHeld = -1; // the first chunk the store's table does not hold
        int deepestTier = -1;
        for (int c = 0; c < keys.Length; c++)
        {
            keys[c] = SnapshotKeys.Chunk(snapshot, c + 1);
            if (notHeld < 0 && !store.Contains(keys[c]))
            {
                notHeld = c;
            }
        }

        if (notHeld >= 0)
        {
            // Not held here: evicted or removed, or held only by a shared tier the store fetches from (Garnet keeps
            // what this store let go, and a fresh process holds nothing). One awaited read says which before the rest
            // are read: absent there too is a miss (so is a chunk a flash tier dropped at open and keeps no note of,
            // docs/llamasharp.md, "Corrupt or missing"); a shared tier that could not be asked keeps the snapshot.
            BlockRead probe = await store.TryGetAsync(keys[notHeld], buffer.AsMemory(notHeld * chunkBytes, chunkBytes),
                cancellationToken).ConfigureAwait(false);
            if (!probe.Found)
            {
                return (PieceMisses.Of(probe.Miss), -1);
            }

            deepestTier = probe.Tier; // adopted above it now, so the batch may find it higher
        }

        var reads = new BlockRead[keys.Length];
        await store.ReadBatchAsync(keys, buffer, reads, cancellationToken).ConfigureAwait(false);
        LoadResult result = LoadResult.Loaded;
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
