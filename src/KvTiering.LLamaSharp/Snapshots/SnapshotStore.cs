using System.Buffers;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Snapshots as store blocks: writes a snapshot's chunks and manifest, and removes what is corrupt or superseded
/// (<see cref="SnapshotLoader"/> finds the longest one a prompt shares and reads it back verified). Knows nothing of
/// llama.cpp: the payload (token ids, then the engine's state bytes) is filled and consumed by
/// <see cref="LlamaPrefixCache"/> through <see cref="Payload"/>. Not thread-safe except <see cref="PrefetchAsync"/>: the
/// payload buffer is shared, so the cache serializes the other calls.
/// </summary>
internal sealed class SnapshotStore(TieredKvStore store, int waypointInterval)
{
    private readonly int _chunkBytes = store.BlockBytes;
    private byte[] _payload = [];

    /// <summary>The snapshots' waypoints (<see cref="SnapshotWaypoints"/>): written before a save, followed by <see cref="SnapshotLoader"/>.</summary>
    public SnapshotWaypoints Waypoints { get; } = new(store, waypointInterval);

    /// <summary>The payload buffer as last filled (by a write's caller, or by <see cref="SnapshotLoader"/>).</summary>
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
        // evict some of them to take the rest (a snapshot larger than the store): check before publishing. A chunk its
        // tiers let go that the shared tier holds counts (a restore fetches it from there, SnapshotChunks).
        Span<byte> bytes = stackalloc byte[SnapshotManifest.Size];
        manifest.WriteTo(bytes);
        if (!AllHeld(snapshot, manifest.ChunkCount) || !PutFresh(store, SnapshotKeys.Manifest(snapshot), parent, bytes, blockContext))
        {
            Remove(snapshot, manifest.ChunkCount);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Removes stored snapshots keyed by <paramref name="keys"/> (shorter prefixes of one just saved); returns how many.
    /// A shared prefix (<see cref="SnapshotManifest.SharedPrefix"/>) stays: other prompts than this one continue it.
    /// </summary>
    public int RemoveSuperseded(ReadOnlySpan<BlockKey> keys)
    {
        int removed = 0;
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            if (Contains(keys[i]))
            {
                bool readable = TryReadManifest(keys[i], out SnapshotManifest manifest);
                if (readable && manifest.SharedPrefix)
                {
                    continue;
                }

                Remove(keys[i], readable ? manifest.ChunkCount : 0);
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
        if (!TryReadManifest(snapshot, out SnapshotManifest manifest))
        {
            return moved; // evicted meanwhile or unreadable: the restore will find out and fall back
        }

        int chunks = manifest.ChunkCount;
        var chunkKeys = new BlockKey[chunks];
        for (int c = 0; c < chunks; c++)
        {
            chunkKeys[c] = SnapshotKeys.Chunk(snapshot, c + 1);
        }

        return moved + await store.PrefetchAsync(chunkKeys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a snapshot's manifest and chunks 1..<paramref name="chunkCount"/> (those still resident).</summary>
    internal void Remove(in BlockKey snapshot, int chunkCount)
    {
        store.Remove(SnapshotKeys.Manifest(snapshot));
        for (int c = 1; c <= chunkCount; c++)
        {
            store.Remove(SnapshotKeys.Chunk(snapshot, c));
        }
    }

    /// <summary>
    /// Whether the store or its shared tier holds every chunk (<see cref="TieredKvStore.Holds"/>; the shared tier is
    /// asked, in one query, only about chunks the tiers let go). Safe with a write-behind tier: a chunk whose write has
    /// not landed yet is either still indexed (served from its staged copy until it lands, as any block) or, once its
    /// tier let it go, not on the server, which answers only for values written, so it does not count.
    /// </summary>
    private bool AllHeld(in BlockKey snapshot, int chunkCount)
    {
        BlockKey[] keys = ArrayPool<BlockKey>.Shared.Rent(chunkCount);
        bool[] held = ArrayPool<bool>.Shared.Rent(chunkCount);
        try
        {
            for (int c = 0; c < chunkCount; c++)
            {
                keys[c] = SnapshotKeys.Chunk(snapshot, c + 1);
            }

            return store.Holds(keys.AsSpan(0, chunkCount), held.AsSpan(0, chunkCount)) == chunkCount;
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(held);
            ArrayPool<BlockKey>.Shared.Return(keys);
        }
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

    /// <summary>The manifest stored for <paramref name="snapshot"/>; false when it is absent or unreadable (its own buffer: callers may not hold the lock).</summary>
    private bool TryReadManifest(in BlockKey snapshot, out SnapshotManifest manifest)
    {
        manifest = default;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_chunkBytes);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, _chunkBytes);
            return store.TryGet(SnapshotKeys.Manifest(snapshot), bytes, out int length)
                && SnapshotManifest.TryRead(bytes[..length], snapshot, _chunkBytes, out manifest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
