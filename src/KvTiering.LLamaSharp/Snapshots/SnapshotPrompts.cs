using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Store;
using LLama.Native;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Reads which tokens a stored snapshot covers from its manifest and the first data chunks (the payload starts with
/// the token ids), without its state: what a caller that finds a snapshot in the store, rather than saving it, needs to
/// name its blocks. Thread-safe (its own buffer).
/// </summary>
internal static class SnapshotPrompts
{
    /// <summary>
    /// When <paramref name="manifestKey"/> holds a snapshot manifest that verifies, reads the token ids its snapshot
    /// covers into <paramref name="tokens"/> and its piece count (manifest and chunks); false for any other block, when
    /// a chunk holding token ids is missing, or when the ids do not lead to the snapshot's key under <paramref name="hasher"/>.
    /// </summary>
    public static bool TryRead(TieredKvStore store, BlockHasher hasher, in BlockKey manifestKey, out LLamaToken[] tokens, out int pieces)
    {
        pieces = 0;
        if (!TryRead(store, manifestKey, out SnapshotManifest manifest, out tokens))
        {
            return false;
        }

        // The snapshot's key is that of the tokens' last full block: ids that do not lead to it are not its own.
        var keys = new BlockKey[hasher.BlockCount(tokens.Length)];
        int written = hasher.ComputeKeys(MemoryMarshal.Cast<LLamaToken, int>(tokens), keys);
        if (written == 0 || keys[written - 1] != manifest.Snapshot)
        {
            tokens = [];
            return false;
        }

        pieces = manifest.ChunkCount + 1;
        return true;
    }

    private static bool TryRead(TieredKvStore store, in BlockKey manifestKey, out SnapshotManifest manifest, out LLamaToken[] tokens)
    {
        manifest = default;
        tokens = [];
        int chunkBytes = store.BlockBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, chunkBytes);
            // A manifest names its snapshot, whose key derives the manifest's: a block that is not one fails here.
            if (!store.TryGet(manifestKey, bytes, out int length)
                || length != SnapshotManifest.Size
                || SnapshotManifest.SnapshotOf(bytes) is not { IsEmpty: false } snapshot
                || SnapshotKeys.Manifest(snapshot) != manifestKey
                || !SnapshotManifest.TryRead(bytes[..length], snapshot, chunkBytes, out manifest))
            {
                return false;
            }

            var ids = new LLamaToken[manifest.TokenCount]; // read straight into the caller's type: one copy of the ids
            Span<byte> destination = MemoryMarshal.AsBytes(ids.AsSpan());
            long offset = 0;
            for (int c = 1; offset < destination.Length; c++)
            {
                int expected = (int)Math.Min(chunkBytes, manifest.PayloadLength - offset);
                if (!store.TryGet(SnapshotKeys.Chunk(snapshot, c), bytes, out length) || length != expected)
                {
                    return false;
                }

                int take = (int)Math.Min(length, destination.Length - offset);
                bytes[..take].CopyTo(destination[(int)offset..]);
                offset += length;
            }

            if (!BitConverter.IsLittleEndian)
            {
                Span<int> values = MemoryMarshal.Cast<LLamaToken, int>(ids.AsSpan());
                BinaryPrimitives.ReverseEndianness(values, values);
            }

            tokens = ids;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
