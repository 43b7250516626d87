using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Derives the store keys of a snapshot's pieces from the block key of the last token block it covers. Each kind of
/// key hashes its own domain tag first, so none can collide with a KV block key (which hashes a parent key and token
/// ids) or with another kind.
/// </summary>
internal static class SnapshotKeys
{
    private const int TagBytes = 32;

    // Fixed-length, zero-padded domain tags: the hashed inputs of different kinds never share a prefix.
    private static ReadOnlySpan<byte> ChunkTag => "kvtiering/llamasharp/chunk/v1\0\0\0"u8;

    private static ReadOnlySpan<byte> WaypointTag => "kvtiering/llamasharp/waypoint/v1"u8;

    /// <summary>Chunk <paramref name="index"/> of the snapshot keyed by <paramref name="snapshot"/>; chunk 0 is the manifest.</summary>
    public static BlockKey Chunk(in BlockKey snapshot, int index)
    {
        Span<byte> input = stackalloc byte[TagBytes + 16 + sizeof(int)];
        ChunkTag.CopyTo(input);
        snapshot.WriteTo(input[TagBytes..]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(input[(TagBytes + 16)..], index);
        return NonEmpty(BlockKey.FromUInt128(XxHash128.HashToUInt128(input)));
    }

    /// <summary>The manifest of the snapshot keyed by <paramref name="snapshot"/>.</summary>
    public static BlockKey Manifest(in BlockKey snapshot) => Chunk(snapshot, 0);

    /// <summary>The waypoint at token block <paramref name="block"/>: it points at a snapshot that covers that block.</summary>
    public static BlockKey Waypoint(in BlockKey block)
    {
        Span<byte> input = stackalloc byte[TagBytes + 16];
        WaypointTag.CopyTo(input);
        block.WriteTo(input[TagBytes..]);
        return NonEmpty(BlockKey.FromUInt128(XxHash128.HashToUInt128(input)));
    }

    // The empty key is reserved by the store; a 2^-128 event, but it must not throw in the serving path.
    private static BlockKey NonEmpty(BlockKey key) => key.IsEmpty ? new BlockKey(1, 0) : key;
}
