using System.Buffers;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Snapshots as store blocks: writes a snapshot's chunks and manifest, finds the longest one a prompt shares (by its
/// key or a waypoint, <see cref="SnapshotWaypoints"/>), reads it back verified, and removes what is corrupt or
/// superseded. Knows nothing of llama.cpp: the payload (token ids, then the engine's state bytes) is filled and
/// consumed by <see cref="LlamaPrefixCache"/> through <see cref="Payload"/>. Not thread-safe except <see cref="PrefetchAsync"/>: the payload buffer is shared, so the
/// cache serializes the other calls.
/// </summary>
internal sealed class SnapshotStore(TieredKvStore store, int waypointInterval)
{
    private readonly int _chunkBytes = store.BlockBytes;
    private byte[] _payload = [];

    /// <summary>The snapshots' waypoints (<see cref="SnapshotWaypoints"/>): written before a save, found by <see cref="TryFindLongest"/>.</summary>
    public SnapshotWaypoints Waypoints { get; } = new(store, waypointInterval);

    /// <summary>The payload buffer as last filled (by a write's caller, or by <see cref="TryFindLongest"/>).</summary>
    public byte[] Buffer => _payload;

    /// <summary>The payload buffer, grown to hold <paramref name="length"/> bytes rounded up to whole chunks.</summary>
    public byte[] Payload(long length)
    {
        long needed = (length + _chunkBytes - 1) / _chunkBytes * _chunkBytes;
        if (_payload.Length < needed)
        {
            _payload = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(needed, _payload.Length * 3L / 2)));
        }

        return _payload;
    }

    /// <summary>Whether a snapshot is stored under <paramref name="snapshot"/> (its manifest is resident).</summary>
    public bool Contains(in BlockKey snapshot) => store.Contains(SnapshotKeys.Manifest(snapshot));

    /// <summary>
    /// The deepest snapshot that covers <paramref name="keys"/>' blocks up to its own key, reached through its manifest
    /// or through a waypoint, read back into <see cref="Payload"/> and checked token by token against
    /// <paramref name="prompt"/>. Corrupt snapshots found on the way are removed and counted in
    /// <paramref name="corrupt"/>; a waypoint that leads nowhere is removed.
    /// </summary>
    public bool TryFindLongest(ReadOnlySpan<BlockKey> keys, ReadOnlySpan<int> prompt, int blockTokens,
        out SnapshotManifest manifest, out int matchedTokens, out int deepestTier, out int corrupt)
    {
        corrupt = 0;
        Dictionary<BlockKey, LoadResult>? failed = null; // not loaded by this call: waypoints below lead to them too
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            BlockKey snapshot;
            BlockKey waypoint = default;
            if (Contains(keys[i]))
            {
                snapshot = keys[i];
            }
            else if (!Waypoints.At(keys[i], i, out waypoint)
                || !Waypoints.TryRead(waypoint, Payload(_chunkBytes).AsSpan(0, _chunkBytes), out snapshot))
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

            LoadResult load = Load(snapshot, out manifest, out deepestTier);
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
                // The manifest was just seen resident, so reading nothing means its bytes failed verification;
                // through a waypoint, the snapshot may simply have been evicted since.
                if (load == LoadResult.Corrupt || (load == LoadResult.Missing && waypoint.IsEmpty))
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
            ReadOnlySpan<int> covered = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(
                _payload.AsSpan(0, (int)manifest.TokenBytes));
            matchedTokens = prompt.CommonPrefixLength(covered) / blockTokens * blockTokens;
            if (matchedTokens >= (i + 1) * blockTokens)
            {
                return true;
            }

            // Fewer: a 128-bit key collision, or a big-endian host: never trust the state.
        }

        manifest = default;
        matchedTokens = 0;
        deepestTier = -1;
        return false;
    }

    /// <summary>
    /// Publishes the snapshot whose payload is in <see cref="Payload"/>: every data chunk, then the manifest. On any
    /// refusal removes what was put and returns false.
    /// </summary>
    public bool Write(in SnapshotManifest manifest, in BlockContext blockContext)
    {
        BlockKey snapshot = manifest.Snapshot;
        BlockKey parent = BlockKey.Empty;
        long offset = 0;
        for (int c = 1; c <= manifest.ChunkCount; c++)
        {
            BlockKey key = SnapshotKeys.Chunk(snapshot, c);
            ReadOnlySpan<byte> chunk = _payload.AsSpan((int)offset, (int)Math.Min(_chunkBytes, manifest.PayloadLength - offset));
            if (!PutFresh(store, key, parent, chunk, blockContext))
            {
                Remove(snapshot, c);
                return false;
            }

            parent = key;
            offset += chunk.Length;
        }

        // The manifest goes last, so a reader that finds it finds every chunk it names — unless the store had to
        // evict some of them to take the rest (a snapshot larger than the store): check before publishing.
        Span<byte> bytes = stackalloc byte[SnapshotManifest.Size];
        manifest.WriteTo(bytes);
        if (!AllResident(snapshot, manifest.ChunkCount) || !PutFresh(store, SnapshotKeys.Manifest(snapshot), parent, bytes, blockContext))
        {
            Remove(snapshot, manifest.ChunkCount);
            return false;
        }

        return true;
    }

    /// <summary>Removes stored snapshots keyed by <paramref name="keys"/> (shorter prefixes of one just saved); returns how many.</summary>
    public int RemoveSuperseded(ReadOnlySpan<BlockKey> keys)
    {
        int removed = 0;
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            if (Contains(keys[i]))
            {
                Remove(keys[i], Math.Max(0, ReadChunkCount(keys[i])));
                removed++;
            }
        }

        return removed;
    }

    /// <summary>
    /// Brings a stored snapshot's manifest and every chunk up to the store's top tier; returns how many blocks moved.
    /// Thread-safe (its own buffers).
    /// </summary>
    public async Task<int> PrefetchAsync(BlockKey snapshot, CancellationToken cancellationToken)
    {
        int moved = await store.PrefetchAsync(new[] { SnapshotKeys.Manifest(snapshot) }, cancellationToken).ConfigureAwait(false);
        int chunks = ReadChunkCount(snapshot);
        if (chunks < 0)
        {
            return moved; // evicted meanwhile or unreadable: the restore will find out and fall back
        }

        var chunkKeys = new BlockKey[chunks];
        for (int c = 0; c < chunks; c++)
        {
            chunkKeys[c] = SnapshotKeys.Chunk(snapshot, c + 1);
        }

        return moved + await store.PrefetchAsync(chunkKeys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads snapshot <paramref name="snapshot"/>'s manifest and every chunk into the payload buffer and verifies the
    /// payload checksum. A corrupt snapshot is removed from the store, so it is not tried again; one whose piece could
    /// not be read because its device did not answer (the piece is still resident) is left for the next restore. The
    /// chunks are read as one batch, none promoted (<see cref="SnapshotChunks"/>).
    /// </summary>
    private LoadResult Load(in BlockKey snapshot, out SnapshotManifest manifest, out int deepestTier)
    {
        manifest = default;
        deepestTier = -1;
        BlockKey manifestKey = SnapshotKeys.Manifest(snapshot);
        byte[] buffer = Payload(_chunkBytes);
        if (!store.TryGet(manifestKey, buffer.AsSpan(0, _chunkBytes), out int length, out int tier))
        {
            return store.Contains(manifestKey) ? LoadResult.Unreachable : LoadResult.Missing;
        }

        if (!SnapshotManifest.TryRead(buffer.AsSpan(0, length), snapshot, _chunkBytes, out manifest))
        {
            store.Remove(manifestKey);
            return LoadResult.Corrupt;
        }

        deepestTier = tier;
        buffer = Payload(manifest.PayloadLength);
        LoadResult chunks = SnapshotChunks.Read(store, snapshot, manifest, buffer, ref deepestTier);
        if (chunks != LoadResult.Loaded)
        {
            if (chunks == LoadResult.Corrupt)
            {
                Remove(snapshot, manifest.ChunkCount);
            }

            return chunks;
        }

        if (XxHash3.HashToUInt64(buffer.AsSpan(0, (int)manifest.PayloadLength)) != manifest.PayloadChecksum)
        {
            Remove(snapshot, manifest.ChunkCount);
            return LoadResult.Corrupt;
        }

        return LoadResult.Loaded;
    }

    /// <summary>Removes a snapshot's manifest and chunks 1..<paramref name="chunkCount"/> (those still resident).</summary>
    private void Remove(in BlockKey snapshot, int chunkCount)
    {
        store.Remove(SnapshotKeys.Manifest(snapshot));
        for (int c = 1; c <= chunkCount; c++)
        {
            store.Remove(SnapshotKeys.Chunk(snapshot, c));
        }
    }

    private bool AllResident(in BlockKey snapshot, int chunkCount)
    {
        for (int c = 1; c <= chunkCount; c++)
        {
            if (!store.Contains(SnapshotKeys.Chunk(snapshot, c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Puts a block, replacing a resident one under the same key (a leftover of an unpublished save may differ).</summary>
    internal static bool PutFresh(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> bytes, in BlockContext blockContext)
    {
        PutResult result = store.Put(key, parent, bytes, blockContext);
        if (result == PutResult.AlreadyPresent)
        {
            store.Remove(key);
            result = store.Put(key, parent, bytes, blockContext);
        }

        return result == PutResult.Stored;
    }

    /// <summary>The chunk count a stored manifest declares, or -1 when it is absent or unreadable (its own buffer: callers may not hold the lock).</summary>
    private int ReadChunkCount(in BlockKey snapshot)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_chunkBytes);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, _chunkBytes);
            return store.TryGet(SnapshotKeys.Manifest(snapshot), bytes, out int length)
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
