using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvTiering.Devices;

/// <summary>
/// Where everything lives in a flash file, and the superblock that records it: a 4 KiB superblock, then the slots at
/// a 4 KiB-aligned stride, each a <see cref="FlashSlotHeader"/> followed by its payload. The file's size is fixed when
/// it is created, so it never grows past the configured capacity.
/// </summary>
/// <remarks>
/// Header and payload share a slot so that a block is one aligned direct I/O (version 1 kept the headers in a table of
/// their own: a 128-byte header write under O_DIRECT would have been a read-modify-write of a page shared by 32
/// slots, which concurrent writers of different slots would have torn).
/// Superblock, little-endian: 0 magic "KVTFLASH" · 8 version u32 · 12 header bytes u32 · 16 slot count i32 ·
/// 20 slot bytes i32 · 24 stride i64 · 32 payload offset within a slot i64 · 40 first slot offset i64 ·
/// 48 file length i64 · 56 XxHash3 u64 over bytes 0..56; the rest of the 4 KiB is zero.
/// </remarks>
internal readonly record struct FlashGeometry(int SlotCount, int SlotBytes)
{
    /// <summary>Page size every region is aligned to, and the superblock's size.</summary>
    public const int PageBytes = 4096;

    /// <summary>Current file format version.</summary>
    public const uint FormatVersion = 2;

    private const ulong Magic = 0x48_53_41_4C_46_54_56_4B; // "KVTFLASH"
    private const int ChecksumOffset = 56;

    /// <summary>Offset of a payload within its slot: right after the header.</summary>
    public const int PayloadInSlot = FlashSlotHeader.Size;

    /// <summary>Offset of slot 0: right after the superblock.</summary>
    public const long FirstSlotOffset = PageBytes;

    /// <summary>The geometry of <paramref name="slotCount"/> slots of <paramref name="slotBytes"/> payload bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or size is below one, or a slot would pass 2 GiB.</exception>
    public static FlashGeometry Create(int slotCount, int slotBytes)
    {
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        if (slotBytes <= 0 || slotBytes > int.MaxValue - (2 * PageBytes))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotBytes), slotBytes,
                $"Slot size {slotBytes} must be between one byte and {int.MaxValue - (2 * PageBytes)} bytes.");
        }

        return new FlashGeometry(slotCount, slotBytes);
    }

    /// <summary>Distance between consecutive slots: header and largest payload, rounded up to a page.</summary>
    public long Stride => Align(PayloadInSlot + (long)SlotBytes);

    /// <summary>The file's fixed size.</summary>
    public long FileLength => FirstSlotOffset + ((long)SlotCount * Stride);

    /// <summary>Offset of <paramref name="slot"/>, which is where its header lies.</summary>
    public long SlotOffset(int slot) => FirstSlotOffset + ((long)slot * Stride);

    /// <summary>Bytes one aligned I/O moves for a slot holding <paramref name="storedLength"/> payload bytes.</summary>
    public static int IoBytes(int storedLength) => (int)Align(PayloadInSlot + (long)storedLength);

    /// <summary>Serializes the superblock into <paramref name="destination"/> (<see cref="PageBytes"/> bytes).</summary>
    public void WriteSuperblock(Span<byte> destination)
    {
        Span<byte> s = destination[..PageBytes];
        s.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(s, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], FlashSlotHeader.Size);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], SlotCount);
        BinaryPrimitives.WriteInt32LittleEndian(s[20..], SlotBytes);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], Stride);
        BinaryPrimitives.WriteInt64LittleEndian(s[32..], PayloadInSlot);
        BinaryPrimitives.WriteInt64LittleEndian(s[40..], FirstSlotOffset);
        BinaryPrimitives.WriteInt64LittleEndian(s[48..], FileLength);
        BinaryPrimitives.WriteUInt64LittleEndian(s[ChecksumOffset..], XxHash3.HashToUInt64(s[..ChecksumOffset]));
    }

    /// <summary>
    /// Verifies a superblock and checks that it describes this geometry.
    /// </summary>
    /// <exception cref="InvalidDataException">The superblock is corrupt, of another version, or of another geometry.</exception>
    public void VerifySuperblock(ReadOnlySpan<byte> source, string path)
    {
        if (source.Length < PageBytes
            || BinaryPrimitives.ReadUInt64LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt64LittleEndian(source[ChecksumOffset..]) != XxHash3.HashToUInt64(source[..ChecksumOffset]))
        {
            throw new InvalidDataException(
                $"Flash file '{path}' has a corrupt superblock (bad magic or checksum, or cut short below its 4 KiB).");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException(
                $"Flash file '{path}' has format version {version}; this library reads version {FormatVersion}.");
        }

        int slotCount = BinaryPrimitives.ReadInt32LittleEndian(source[16..]);
        int slotBytes = BinaryPrimitives.ReadInt32LittleEndian(source[20..]);
        if (slotCount != SlotCount || slotBytes != SlotBytes)
        {
            throw new InvalidDataException(
                $"Flash file '{path}' was created with {slotCount} slots of {slotBytes} bytes, but the tier is opened " +
                $"with {SlotCount} slots of {SlotBytes} bytes; use the original geometry or another directory.");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source[12..]) != FlashSlotHeader.Size
            || BinaryPrimitives.ReadInt64LittleEndian(source[24..]) != Stride
            || BinaryPrimitives.ReadInt64LittleEndian(source[32..]) != PayloadInSlot
            || BinaryPrimitives.ReadInt64LittleEndian(source[40..]) != FirstSlotOffset
            || BinaryPrimitives.ReadInt64LittleEndian(source[48..]) != FileLength)
        {
            throw new InvalidDataException(
                $"Flash file '{path}' has a corrupt superblock: its layout does not match {SlotCount} slots of {SlotBytes} bytes.");
        }
    }

    private static long Align(long bytes) => (bytes + PageBytes - 1) & ~(long)(PageBytes - 1);
}
