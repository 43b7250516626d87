using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Security;

namespace KvTiering.Devices;

/// <summary>
/// The fixed-size record that describes one flash slot, at the start of the slot, written in the same aligned I/O as
/// its payload. It carries its own checksum and the payload's, so a torn or lost write leaves a header that does not
/// verify or a payload that does not match it: either way the slot reads as a miss.
/// </summary>
/// <remarks>
/// Layout, little-endian: 0 magic u32 · 4 version u16 · 6 flags u16 · 8 slot u32 · 12 raw length u32 ·
/// 16 stored length u32 · 20 reserved u32 · 24 generation u64 · 32 key (16) · 48 parent (16) · 64 payload XxHash3 u64 ·
/// 72..120 seal (a sealed block: <see cref="BlockAuthenticator"/>'s 48 bytes over bytes 0..64 and the stored payload;
/// else zero) · 120 header XxHash3 u64 over bytes 0..120. An all-zero header is a free slot. The seal's header bytes
/// hold the flags (so a sealed block cannot pass as an unsealed one), the slot, both lengths, the generation, the key
/// and the parent; the payload tag covers the stored (possibly compressed) bytes, so they are authenticated before
/// they are decoded.
/// </remarks>
internal readonly struct FlashSlotHeader
{
    /// <summary>Bytes per header; a power of two, so no header straddles a page.</summary>
    public const int Size = 128;

    /// <summary>Current header format version.</summary>
    public const ushort FormatVersion = 1;

    private const uint Magic = 0x53_54_56_4B; // "KVTS"
    private const int ChecksumOffset = Size - sizeof(ulong);

    /// <summary>Bytes of the header the seal covers: everything up to the payload checksum.</summary>
    public const int SealedHeaderBytes = 64;

    /// <summary>Where the seal lies in a sealed header.</summary>
    public const int SealOffset = 72;

    [Flags]
    private enum HeaderFlags : ushort
    {
        Valid = 1,
        Compressed = 2,
        Sealed = 4,
    }

    public FlashSlotHeader(int slot, in BlockKey key, in BlockKey parent, int rawLength, int storedLength,
        bool compressed, ulong generation, ulong payloadChecksum, bool isSealed = false)
    {
        IsSealed = isSealed;
        Slot = slot;
        Key = key;
        Parent = parent;
        RawLength = rawLength;
        StoredLength = storedLength;
        Compressed = compressed;
        Generation = generation;
        PayloadChecksum = payloadChecksum;
    }

    public int Slot { get; }

    public BlockKey Key { get; }

    public BlockKey Parent { get; }

    /// <summary>The block's length as the caller wrote it.</summary>
    public int RawLength { get; }

    /// <summary>The bytes on flash: LZ4 output when <see cref="Compressed"/>, else <see cref="RawLength"/>.</summary>
    public int StoredLength { get; }

    public bool Compressed { get; }

    public ulong Generation { get; }

    /// <summary>XxHash3 of the stored bytes, so corruption is caught before any decoding.</summary>
    public ulong PayloadChecksum { get; }

    /// <summary>Whether the header carries a seal (a MAC made with the tier's authentication key).</summary>
    public bool IsSealed { get; }

    /// <summary>
    /// Serializes the header, checksum included, into <paramref name="destination"/> (at least <see cref="Size"/>
    /// bytes); when <see cref="IsSealed"/>, seals it and <paramref name="stored"/> with <paramref name="authenticator"/>.
    /// </summary>
    public void WriteTo(Span<byte> destination, BlockAuthenticator? authenticator = null, ReadOnlySpan<byte> stored = default)
    {
        Span<byte> h = destination[..Size];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], FormatVersion);
        var flags = HeaderFlags.Valid | (Compressed ? HeaderFlags.Compressed : 0) | (IsSealed ? HeaderFlags.Sealed : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)Slot);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)RawLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)StoredLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Generation);
        Key.WriteTo(h[32..]);
        Parent.WriteTo(h[48..]);
        BinaryPrimitives.WriteUInt64LittleEndian(h[64..], PayloadChecksum);
        if (IsSealed)
        {
            ArgumentNullException.ThrowIfNull(authenticator);
            authenticator.Seal(h[..SealedHeaderBytes], stored, h.Slice(SealOffset, BlockAuthenticator.SealSize));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(h[ChecksumOffset..], XxHash3.HashToUInt64(h[..ChecksumOffset]));
    }

    /// <summary>Whether the seal in header bytes <paramref name="source"/> was made by <paramref name="authenticator"/> for this header.</summary>
    public static bool VerifyHeaderSeal(ReadOnlySpan<byte> source, BlockAuthenticator authenticator) =>
        authenticator.VerifyHeader(source[..SealedHeaderBytes], source.Slice(SealOffset, BlockAuthenticator.SealSize));

    /// <summary>Whether the seal in header bytes <paramref name="source"/> covers this header and <paramref name="stored"/>.</summary>
    public static bool VerifySeal(ReadOnlySpan<byte> source, ReadOnlySpan<byte> stored, BlockAuthenticator authenticator) =>
        authenticator.Verify(source[..SealedHeaderBytes], stored, source.Slice(SealOffset, BlockAuthenticator.SealSize));

    /// <summary>
    /// Parses and verifies a header read from slot <paramref name="slot"/>: magic, version, flags, checksum, slot
    /// number and lengths must all be right. False for a free, torn or corrupt header.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, int slot, int slotBytes, out FlashSlotHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        ReadOnlySpan<byte> h = source[..Size];
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(h[4..]) != FormatVersion
            || BinaryPrimitives.ReadUInt64LittleEndian(h[ChecksumOffset..]) != XxHash3.HashToUInt64(h[..ChecksumOffset]))
        {
            return false;
        }

        var flags = (HeaderFlags)BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
        uint storedSlot = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        bool compressed = (flags & HeaderFlags.Compressed) != 0;
        if ((flags & HeaderFlags.Valid) == 0
            || (flags & ~(HeaderFlags.Valid | HeaderFlags.Compressed | HeaderFlags.Sealed)) != 0
            || storedSlot != (uint)slot
            || raw - 1 >= (uint)slotBytes
            || (compressed ? stored - 1 >= raw - 1 : stored != raw))
        {
            return false;
        }

        BlockKey key = BlockKey.ReadFrom(h[32..]);
        if (key.IsEmpty)
        {
            return false;
        }

        header = new FlashSlotHeader(slot, key, BlockKey.ReadFrom(h[48..]), (int)raw, (int)stored, compressed,
            BinaryPrimitives.ReadUInt64LittleEndian(h[24..]), BinaryPrimitives.ReadUInt64LittleEndian(h[64..]),
            (flags & HeaderFlags.Sealed) != 0);
        return true;
    }
}
