using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Chunk 0 of a snapshot: what the data chunks hold and a checksum of all of them. The payload is the covered token
/// ids (32-bit little-endian) followed by llama.cpp's sequence state bytes, cut into chunks of one store block each.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic u32 "KVLS", version u16, flags u16 (bit 0: a shared prefix; readers before it ignored
/// the field, which was reserved and 0), snapshot key 16 B, token count i32, data
/// chunk count i32, payload length i64, state length i64, payload XxHash3 u64, chunk bytes i32, reserved i32, then
/// XxHash3 of the 64 bytes before it.
/// </remarks>
internal readonly record struct SnapshotManifest(
    BlockKey Snapshot, int TokenCount, int ChunkCount, long PayloadLength, long StateLength, ulong PayloadChecksum,
    int ChunkBytes, bool SharedPrefix = false)
{
    public const int Size = 72;
    private const uint Magic = 0x534C564B; // "KVLS"
    private const ushort Version = 1;
    private const ushort SharedPrefixFlag = 1;

    public long TokenBytes => (long)TokenCount * sizeof(int);

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], SharedPrefix ? SharedPrefixFlag : (ushort)0);
        Snapshot.WriteTo(destination[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], TokenCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], ChunkCount);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], PayloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], StateLength);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[48..], PayloadChecksum);
        BinaryPrimitives.WriteInt32LittleEndian(destination[56..], ChunkBytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[60..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[64..], XxHash3.HashToUInt64(destination[..64]));
    }

    /// <summary>
    /// Parses a manifest read from the store, accepting it only when its checksum verifies, it names
    /// <paramref name="snapshot"/>, and its lengths agree with each other and with <paramref name="chunkBytes"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, in BlockKey snapshot, int chunkBytes, out SnapshotManifest manifest)
    {
        manifest = default;
        if (source.Length != Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(source[64..]) != XxHash3.HashToUInt64(source[..64]))
        {
            return false;
        }

        var parsed = new SnapshotManifest(
            BlockKey.ReadFrom(source[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[28..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[48..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[56..]),
            (BinaryPrimitives.ReadUInt16LittleEndian(source[6..]) & SharedPrefixFlag) != 0);
        if (parsed.Snapshot != snapshot
            || parsed.ChunkBytes != chunkBytes
            || parsed.TokenCount <= 0
            || parsed.StateLength <= 0
            || parsed.PayloadLength != parsed.TokenBytes + parsed.StateLength
            || parsed.PayloadLength > Array.MaxLength
            || parsed.ChunkCount != ChunksFor(parsed.PayloadLength, chunkBytes))
        {
            return false;
        }

        manifest = parsed;
        return true;
    }

    /// <summary>The snapshot key a manifest's bytes name (unverified: <see cref="TryRead"/> checks it), or empty when too short.</summary>
    public static BlockKey SnapshotOf(ReadOnlySpan<byte> source) => source.Length < 24 ? BlockKey.Empty : BlockKey.ReadFrom(source[8..]);

    public static int ChunksFor(long payloadLength, int chunkBytes) => (int)((payloadLength + chunkBytes - 1) / chunkBytes);
}
