using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;

namespace KvTiering.LLamaSharp;

public sealed partial class LlamaPrefixCache
{
    /// <summary>
    /// Reads snapshot <paramref name="snapshot"/>'s manifest and every chunk into the payload buffer and verifies the
    /// payload checksum. A corrupt snapshot is removed from the store, so it is not tried again.
    /// </summary>
    private LoadResult Load(in BlockKey snapshot, out SnapshotManifest manifest, out int deepestTier)
    {
        manifest = default;
        deepestTier = -1;
        BlockKey manifestKey = SnapshotKeys.Manifest(snapshot);
        byte[] buffer = Payload(_chunkBytes);
        if (!_store.TryGet(manifestKey, buffer.AsSpan(0, _chunkBytes), out int length, out int tier))
        {
            return LoadResult.Missing;
        }

        if (!SnapshotManifest.TryRead(buffer.AsSpan(0, length), snapshot, _chunkBytes, out manifest))
        {
            _store.Remove(manifestKey);
            return LoadResult.Corrupt;
        }

        deepestTier = tier;
        buffer = Payload(manifest.PayloadLength);
        long offset = 0;
        for (int c = 1; c <= manifest.ChunkCount; c++)
        {
            int expected = (int)Math.Min(_chunkBytes, manifest.PayloadLength - offset);
            if (!_store.TryGet(SnapshotKeys.Chunk(snapshot, c), buffer.AsSpan((int)offset, _chunkBytes), out length, out tier)
                || length != expected)
            {
                RemoveSnapshot(snapshot, manifest.ChunkCount);
                return LoadResult.Corrupt;
            }

            deepestTier = Math.Max(deepestTier, tier);
            offset += length;
        }

        if (XxHash3.HashToUInt64(buffer.AsSpan(0, (int)manifest.PayloadLength)) != manifest.PayloadChecksum)
        {
            RemoveSnapshot(snapshot, manifest.ChunkCount);
            return LoadResult.Corrupt;
        }

        return LoadResult.Loaded;
    }

    /// <summary>Removes a snapshot's manifest and chunks 1..<paramref name="chunkCount"/> (those still resident).</summary>
    private void RemoveSnapshot(in BlockKey snapshot, int chunkCount)
    {
        _store.Remove(SnapshotKeys.Manifest(snapshot));
        for (int c = 1; c <= chunkCount; c++)
        {
            _store.Remove(SnapshotKeys.Chunk(snapshot, c));
        }
    }
}
