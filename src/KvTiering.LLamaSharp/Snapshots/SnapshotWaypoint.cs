using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// A pointer stored at an inner token block of a snapshot, so a prompt that shares only the snapshot's beginning
/// still finds it: the restore then trims the state back to where the prompt diverges.
/// </summary>
/// <remarks>Layout (little-endian): magic u32 "KVLW", version u16, reserved u16, snapshot key 16 B, XxHash3 of the 24 bytes before it.</remarks>
internal static class SnapshotWaypoint
{
    public const int Size = 32;
    private const uint Magic = 0x574C564B; // "KVLW"
    private const ushort Version = 1;

    public static void Write(Span<byte> destination, in BlockKey snapshot)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        snapshot.WriteTo(destination[8..]);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], XxHash3.HashToUInt64(destination[..24]));
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out BlockKey snapshot)
    {
        snapshot = default;
        if (source.Length != Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(source[24..]) != XxHash3.HashToUInt64(source[..24]))
        {
            return false;
        }

        snapshot = BlockKey.ReadFrom(source[8..]);
        return !snapshot.IsEmpty;
    }
}
