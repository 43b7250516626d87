using System.Buffers;
using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;
using LLama.Native;

namespace KvTiering.LLamaSharp;

public sealed partial class LlamaPrefixCache
{
    /// <summary>
    /// Brings the snapshot that <see cref="Restore(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken})"/>
    /// would load for <paramref name="prompt"/> up to the store's top tier (its manifest and every chunk), so that the
    /// restore, when the request gets a sequence, reads DRAM instead of flash. A server calls it while the request waits
    /// for a free sequence.
    /// </summary>
    /// <remarks>
    /// Takes the deepest snapshot whose manifest is stored under one of the prompt's block keys; a snapshot reached only
    /// through a waypoint is left to the restore. Does not take the cache's lock, so restores and saves of other
    /// requests proceed meanwhile; the store's <see cref="Store.TieredKvStore.PrefetchAsync"/> moves the blocks.
    /// </remarks>
    /// <param name="prompt">The queued request's whole prompt.</param>
    /// <param name="cancellationToken">Stops the prefetch between blocks (for instance when the request is scheduled).</param>
    /// <returns>How many blocks moved up (0 when there is no snapshot or it is already on the top tier).</returns>
    public async Task<int> PrefetchAsync(ReadOnlyMemory<LLamaToken> prompt, CancellationToken cancellationToken = default)
    {
        int count = (prompt.Length - _minPrefill) / _blockTokens;
        if (count <= 0)
        {
            return 0;
        }

        // Its own buffers: the shared ones belong to whoever holds the cache's lock.
        var keys = new BlockKey[prompt.Length / _blockTokens];
        int written = _hasher.ComputeKeys(AsInts(prompt.Span), keys);
        for (int i = Math.Min(count, written) - 1; i >= 0; i--)
        {
            BlockKey manifestKey = SnapshotKeys.Manifest(keys[i]);
            if (!_store.Contains(manifestKey))
            {
                continue;
            }

            int moved = await _store.PrefetchAsync(new[] { manifestKey }, cancellationToken).ConfigureAwait(false);
            int chunks = ReadChunkCount(keys[i]);
            if (chunks < 0)
            {
                return moved; // evicted meanwhile or unreadable: the restore will find out and fall back
            }

            var chunkKeys = new BlockKey[chunks];
            for (int c = 0; c < chunks; c++)
            {
                chunkKeys[c] = SnapshotKeys.Chunk(keys[i], c + 1);
            }

            return moved + await _store.PrefetchAsync(chunkKeys, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The chunk count a stored manifest declares, or -1 when it is absent or unreadable (its own buffer: callers may not hold the lock).</summary>
    private int ReadChunkCount(in BlockKey snapshot)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_chunkBytes);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, _chunkBytes);
            return _store.TryGet(SnapshotKeys.Manifest(snapshot), bytes, out int length)
                && SnapshotManifest.TryRead(bytes[..length], snapshot, _chunkBytes, out SnapshotManifest manifest)
                ? manifest.ChunkCount
                : -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
