using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Transfer.Protocol;

/// <summary>
/// Byte layouts of the block-stream protocol, version 1 (docs/transfer.md is the spec). Integers are little-endian;
/// every checksum is XXH3-64 with seed 0 over the bytes it follows.
/// </summary>
internal static class WireFormat
{
    /// <summary>The protocol version this build speaks.</summary>
    public const ushort Version = 1;

    /// <summary>Frame type of a block.</summary>
    public const byte BlockFrame = 1;

    /// <summary>Frame type of the end frame.</summary>
    public const byte EndFrame = 2;

    /// <summary>Header: type, flags, reserved, payload length, key, parent.</summary>
    public const int FrameHeaderBytes = 40;

    /// <summary>A trailing XXH3-64.</summary>
    public const int ChecksumBytes = 8;

    /// <summary>Header plus checksum: what a frame adds to its payload.</summary>
    public const int FrameOverheadBytes = FrameHeaderBytes + ChecksumBytes;

    /// <summary>End-frame payload: blocks sent, payload bytes sent, blocks missing.</summary>
    public const int EndPayloadBytes = 24;

    /// <summary>Bytes on the wire of a frame carrying <paramref name="payloadBytes"/>.</summary>
    public static long FrameBytes(int payloadBytes) => (long)FrameOverheadBytes + payloadBytes;

    /// <summary>Writes a frame header for <paramref name="payloadLength"/> bytes into the first 40 bytes of <paramref name="destination"/>.</summary>
    public static void WriteFrameHeader(Span<byte> destination, byte type, int payloadLength, in BlockKey key, in BlockKey parent)
    {
        destination[0] = type;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)payloadLength);
        key.WriteTo(destination[8..]);
        parent.WriteTo(destination[24..]);
    }

    /// <summary>
    /// Seals a frame whose header and payload already sit in <paramref name="frame"/>[0 .. 40 + payload): appends the
    /// checksum and returns the frame's total length.
    /// </summary>
    public static int SealFrame(Span<byte> frame, int payloadLength)
    {
        int covered = FrameHeaderBytes + payloadLength;
        BinaryPrimitives.WriteUInt64LittleEndian(frame[covered..], XxHash3.HashToUInt64(frame[..covered]));
        return covered + ChecksumBytes;
    }

    /// <summary>Writes a whole end frame (72 bytes) and returns its length.</summary>
    public static int WriteEndFrame(Span<byte> destination, long blocksSent, long payloadBytes, long blocksMissing)
    {
        WriteFrameHeader(destination, EndFrame, EndPayloadBytes, BlockKey.Empty, BlockKey.Empty);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], blocksSent);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], payloadBytes);
        BinaryPrimitives.WriteInt64LittleEndian(destination[56..], blocksMissing);
        return SealFrame(destination, EndPayloadBytes);
    }

    /// <summary>XXH3-64 of <paramref name="bytes"/>, one-shot when contiguous, streamed through <paramref name="hash"/> otherwise.</summary>
    public static ulong Checksum(in ReadOnlySequence<byte> bytes, XxHash3 hash)
    {
        if (bytes.IsSingleSegment)
        {
            return XxHash3.HashToUInt64(bytes.FirstSpan);
        }

        hash.Reset();
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            hash.Append(segment.Span);
        }

        return hash.GetCurrentHashAsUInt64();
    }
}
