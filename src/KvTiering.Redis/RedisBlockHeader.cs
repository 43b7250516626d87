using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Security;

namespace KvTiering.Redis;

/// <summary>
/// The fixed-size record in front of every block stored on the server: the value is this header followed by the
/// payload. The header names the block and checksums both itself and the payload, so a value that was truncated,
/// overwritten, written by another format or flipped in transit reads as a miss, never as wrong bytes.
/// </summary>
/// <remarks>
/// Layout, little-endian: 0 magic u32 · 4 version u16 · 6 flags u16 (zero) · 8 payload length u32 · 12 reserved u32
/// (zero) · 16 key (16) · 32 parent (16) · 48 payload XxHash3 u64 · 56 header XxHash3 u64 over bytes 0..56.
/// The flash tier's slot header (KvTiering.Devices.FlashSlotHeader) follows the same scheme. An authenticated value
/// sets flag bit 0 and carries a <see cref="BlockAuthenticator"/> seal (48 bytes) between header and payload.
/// </remarks>
internal readonly struct RedisBlockHeader
{
    /// <summary>Bytes per header; a prefix match reads only these.</summary>
    public const int Size = 64;

    /// <summary>Current value format version.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Flag bit 0: a seal follows the header (<see cref="SealedSize"/> bytes before the payload).</summary>
    public const ushort SealedFlag = 1;

    /// <summary>Bytes in front of the payload of an authenticated value: header and seal.</summary>
    public const int SealedSize = Size + BlockAuthenticator.SealSize;

    /// <summary>What <see cref="TryCopyPayload"/> returns for a well-formed value whose seal fails.</summary>
    public const int Unauthentic = -3;

    private const uint Magic = 0x52_54_56_4B; // "KVTR"
    private const int ChecksumOffset = Size - sizeof(ulong);

    public RedisBlockHeader(in BlockKey key, in BlockKey parent, int length, ulong payloadChecksum, ushort flags = 0)
    {
        Flags = flags;
        Key = key;
        Parent = parent;
        Length = length;
        PayloadChecksum = payloadChecksum;
    }

    public BlockKey Key { get; }

    /// <summary>Format flags: 0, or <see cref="SealedFlag"/>.</summary>
    public ushort Flags { get; }

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
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)Length);
        Key.WriteTo(h[16..]);
        Parent.WriteTo(h[32..]);
        BinaryPrimitives.WriteUInt64LittleEndian(h[48..], PayloadChecksum);
        BinaryPrimitives.WriteUInt64LittleEndian(h[ChecksumOffset..], XxHash3.HashToUInt64(h[..ChecksumOffset]));
    }

    /// <summary>
    /// Parses and verifies a header: magic, version, flags, its own checksum, a length of 1 to
    /// <paramref name="maxLength"/>, and the key <paramref name="expected"/>; with an
    /// <paramref name="authenticator"/>, also the seal that must follow it. False for anything else.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, in BlockKey expected, int maxLength,
        BlockAuthenticator? authenticator, out RedisBlockHeader header)
    {
        ushort flags = authenticator is null ? (ushort)0 : SealedFlag;
        return TryParse(source, expected, maxLength, out header)
            && header.Flags == flags
            && (authenticator is null
                || (source.Length >= SealedSize
                    && authenticator.VerifyHeader(source[..Size], source.Slice(Size, BlockAuthenticator.SealSize))));
    }

    /// <summary>Magic, version, checksum, length and key; any flags.</summary>
    private static bool TryParse(ReadOnlySpan<byte> source, in BlockKey expected, int maxLength, out RedisBlockHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        ReadOnlySpan<byte> h = source[..Size];
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(h[4..]) != FormatVersion
            || (flags & ~SealedFlag) != 0
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
            BinaryPrimitives.ReadUInt64LittleEndian(h[48..]), flags);
        return true;
    }

    /// <summary>
    /// Verifies a whole stored value against <paramref name="expected"/> and copies its payload into
    /// <paramref name="destination"/>.
    /// </summary>
    /// <returns>
    /// The payload length; -1 when the value does not verify; <see cref="Unauthentic"/> when it is well formed but
    /// its seal does not verify (forged, or written with another secret or none).
    /// </returns>
    /// <exception cref="ArgumentException">The value verifies but <paramref name="destination"/> is too short for it.</exception>
    public static int TryCopyPayload(ReadOnlySpan<byte> value, in BlockKey expected, int maxLength,
        BlockAuthenticator? authenticator, Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        int offset = authenticator is null ? Size : SealedSize;
        if (!TryRead(value, expected, maxLength, authenticator, out RedisBlockHeader header))
        {
            // Checksums cannot tell a forgery from damage; a header that passes them but not the seal is a forgery
            // (or a block written with another secret, or none).
            return authenticator is not null && TryParse(value, expected, maxLength, out _) ? Unauthentic : -1;
        }

        if (value.Length != offset + header.Length)
        {
            return -1;
        }

        ReadOnlySpan<byte> payload = value.Slice(offset, header.Length);
        if (XxHash3.HashToUInt64(payload) != header.PayloadChecksum)
        {
            return -1;
        }

        if (authenticator is not null && !authenticator.Verify(value[..Size], payload, value.Slice(Size, BlockAuthenticator.SealSize)))
        {
            return Unauthentic;
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
