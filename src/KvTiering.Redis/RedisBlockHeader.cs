using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Redis;

/// <summary>
/// The fixed-size record in front of every block stored on the server: the value is this header followed by the
/// payload. The header names the block and checksums both itself and the payload, so a value that was truncated,
/// overwritten, written by another format or flipped in transit reads as a miss, never as wrong bytes.
/// </summary>
/// <remarks>
/// Layout, little-endian: 0 magic u32 · 4 version u16 · 6 flags u16 (zero) · 8 payload length u32 · 12 reserved u32
/// (zero) · 16 key (16) · 32 parent (16) · 48 payload XxHash3 u64 · 56 header XxHash3 u64 over bytes 0..56.
/// The flash tier's slot header (KvTiering.Devices.FlashSlotHeader) follows the same scheme.
/// </remarks>
internal readonly struct RedisBlockHeader
{
    /// <summary>Bytes per header; a prefix match reads only these.</summary>
    public const int Size = 64;

    /// <summary>Current value format version.</summary>
    public const ushort FormatVersion = 1;

    private const uint Magic = 0x52_54_56_4B; // "KVTR"
    private const int ChecksumOffset = Size - sizeof(ulong);

    public RedisBlockHeader(in BlockKey key, in BlockKey parent, int length, ulong payloadChecksum)
    {
        Key = key;
        Parent = parent;
        Length = length;
        PayloadChecksum = payloadChecksum;
    }

    public BlockKey Key { get; }

    public BlockKey Parent { get; }

    /// <summary>Payload bytes after the header.</summary>
    public int Length { get; }

    /// <summary>XxHash3 of the payload.</summary>
    public ulong PayloadChecksum { get; }

    /// <summary>Serializes the header, checksum included, into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        Span<byte> h = destination[..Size];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)Length);
        Key.WriteTo(h[16..]);
        Parent.WriteTo(h[32..]);
        BinaryPrimitives.WriteUInt64LittleEndian(h[48..], PayloadChecksum);
        BinaryPrimitives.WriteUInt64LittleEndian(h[ChecksumOffset..], XxHash3.HashToUInt64(h[..ChecksumOffset]));
    }

    /// <summary>
    /// Parses and verifies a header: magic, version, flags, its own checksum, a length of 1 to
    /// <paramref name="maxLength"/>, and the key <paramref name="expected"/>. False for anything else.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, in BlockKey expected, int maxLength, out RedisBlockHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        ReadOnlySpan<byte> h = source[..Size];
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(h[4..]) != FormatVersion
            || BinaryPrimitives.ReadUInt16LittleEndian(h[6..]) != 0
            || BinaryPrimitives.ReadUInt64LittleEndian(h[ChecksumOffset..]) != XxHash3.HashToUInt64(h[..ChecksumOffset]))
        {
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        BlockKey key = BlockKey.ReadFrom(h[16..]);
        if (length - 1 >= (uint)maxLength || !key.Equals(expected))
        {
            return false;
        }

        header = new RedisBlockHeader(key, BlockKey.ReadFrom(h[32..]), (int)length,
            BinaryPrimitives.ReadUInt64LittleEndian(h[48..]));
        return true;
    }

    /// <summary>
    /// Verifies a whole stored value against <paramref name="expected"/> and copies its payload into
    /// <paramref name="destination"/>.
    /// </summary>
    /// <returns>The payload length, or -1 when the value does not verify.</returns>
    /// <exception cref="ArgumentException">The value verifies but <paramref name="destination"/> is too short for it.</exception>
    public static int TryCopyPayload(ReadOnlySpan<byte> value, in BlockKey expected, int maxLength,
        Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        if (!TryRead(value, expected, maxLength, out RedisBlockHeader header)
            || value.Length != Size + header.Length)
        {
            return -1;
        }

        ReadOnlySpan<byte> payload = value.Slice(Size, header.Length);
        if (XxHash3.HashToUInt64(payload) != header.PayloadChecksum)
        {
            return -1;
        }

        if (destination.Length < payload.Length)
        {
            ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, payload.Length);
        }

        payload.CopyTo(destination);
        parent = header.Parent;
        return payload.Length;
    }
}
