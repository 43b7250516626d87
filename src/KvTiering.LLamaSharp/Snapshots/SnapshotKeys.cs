using System.Buffers.Binary;
using System.IO.Hashing;
using System.Reflection;
using System.Text;
using KvTiering.Blocks;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Derives the store keys of a snapshot's pieces from the block key of the last token block it covers. Each kind of
/// key hashes its own domain tag first, so none can collide with a KV block key (which hashes a parent key and token
/// ids) or with another kind. The tag is followed by a stamp of the LLamaSharp build: llama.cpp's state format is
/// not versioned, so snapshots written by another build are simply never found (and age out of the store).
/// </summary>
internal static class SnapshotKeys
{
    private const int TagBytes = 32;
    private const int StampBytes = sizeof(ulong);

    /// <summary>XxHash64 of the LLamaSharp assembly's informational version: each LLamaSharp release pins one llama.cpp build.</summary>
    internal static readonly ulong EngineStamp = ComputeEngineStamp();

    // Fixed-length, zero-padded domain tags: the hashed inputs of different kinds never share a prefix.
    private static ReadOnlySpan<byte> ChunkTag => "kvtiering/llamasharp/chunk/v1\0\0\0"u8;

    private static ReadOnlySpan<byte> WaypointTag => "kvtiering/llamasharp/waypoint/v1"u8;

    /// <summary>Chunk <paramref name="index"/> of the snapshot keyed by <paramref name="snapshot"/>; chunk 0 is the manifest.</summary>
    public static BlockKey Chunk(in BlockKey snapshot, int index)
    {
        Span<byte> input = stackalloc byte[TagBytes + StampBytes + 16 + sizeof(int)];
        ChunkTag.CopyTo(input);
        BinaryPrimitives.WriteUInt64LittleEndian(input[TagBytes..], EngineStamp);
        snapshot.WriteTo(input[(TagBytes + StampBytes)..]);
        BinaryPrimitives.WriteInt32LittleEndian(input[(TagBytes + StampBytes + 16)..], index);
        return NonEmpty(BlockKey.FromUInt128(XxHash128.HashToUInt128(input)));
    }

    /// <summary>The manifest of the snapshot keyed by <paramref name="snapshot"/>.</summary>
    public static BlockKey Manifest(in BlockKey snapshot) => Chunk(snapshot, 0);

    /// <summary>The waypoint at token block <paramref name="block"/>: it points at a snapshot that covers that block.</summary>
    public static BlockKey Waypoint(in BlockKey block)
    {
        Span<byte> input = stackalloc byte[TagBytes + StampBytes + 16];
        WaypointTag.CopyTo(input);
        BinaryPrimitives.WriteUInt64LittleEndian(input[TagBytes..], EngineStamp);
        block.WriteTo(input[(TagBytes + StampBytes)..]);
        return NonEmpty(BlockKey.FromUInt128(XxHash128.HashToUInt128(input)));
    }

    private static ulong ComputeEngineStamp()
    {
        System.Reflection.Assembly engine = typeof(LLama.Native.SafeLLamaContextHandle).Assembly;
        string version = engine.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? engine.GetName().Version?.ToString()
            ?? "unknown";
        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(version));
    }

    // The empty key is reserved by the store; a 2^-128 event, but it must not throw in the serving path.
    private static BlockKey NonEmpty(BlockKey key) => key.IsEmpty ? new BlockKey(1, 0) : key;
}
