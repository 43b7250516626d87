using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvTiering.Caching;

/// <summary>
/// The first block of every distributed-cache entry: what the value is (length, chunk count, the random write nonce
/// its chunk keys derive from, its hash), when it expires, and the full cache key. A value small enough rides inline
/// after the key, so most entries are one block.
/// </summary>
/// <remarks>
/// Layout, little-endian: [0,8) XxHash3 of every byte after it up to the end of the key; [8,12) magic "KVDC";
/// [12] version; [13] flags (1 = inline); [14,16) key length; [16,20) value length; [20,24) chunk count;
/// [24,32) nonce; [32,40) XxHash3 of the value; [40,48) absolute expiry, UTC ticks (0 = none); [48,56) sliding
/// window, ticks (0 = none); [56,64) last access, UTC ticks; then the UTF-8 key, then an inline value.
/// </remarks>
internal struct CacheManifest
{
    public const int HeaderBytes = 64;
    private const uint Magic = 0x4344564B;
    private const byte FormatVersion = 1;
    private const byte InlineFlag = 1;

    public int KeyLength;
    public int ValueLength;
    public int ChunkCount;
    public ulong Nonce;
    public ulong ValueHash;
    public long AbsoluteTicks;
    public long SlidingTicks;
    public long LastAccessTicks;
    public bool Inline;

    /// <summary>Bytes of the whole manifest block.</summary>
    public readonly int BlockLength => HeaderBytes + KeyLength + (Inline ? ValueLength : 0);

    /// <summary>Whether the entry is past its absolute expiry or idle past its sliding window at <paramref name="nowTicks"/>.</summary>
    public readonly bool IsExpired(long nowTicks) =>
        (AbsoluteTicks != 0 && nowTicks >= AbsoluteTicks) ||
        (SlidingTicks != 0 && nowTicks - LastAccessTicks >= SlidingTicks);

    /// <summary>
    /// Writes the header into <paramref name="block"/>, whose key (and inline value) are already in place, and seals
    /// it with the check hash.
    /// </summary>
    public readonly void WriteHeader(Span<byte> block)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block[8..], Magic);
        block[12] = FormatVersion;
        block[13] = Inline ? InlineFlag : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(block[14..], (ushort)KeyLength);
        BinaryPrimitives.WriteInt32LittleEndian(block[16..], ValueLength);
        BinaryPrimitives.WriteInt32LittleEndian(block[20..], ChunkCount);
        BinaryPrimitives.WriteUInt64LittleEndian(block[24..], Nonce);
        BinaryPrimitives.WriteUInt64LittleEndian(block[32..], ValueHash);
        BinaryPrimitives.WriteInt64LittleEndian(block[40..], AbsoluteTicks);
        BinaryPrimitives.WriteInt64LittleEndian(block[48..], SlidingTicks);
        BinaryPrimitives.WriteInt64LittleEndian(block[56..], LastAccessTicks);
        Seal(block, KeyLength);
    }

    /// <summary>Moves the last access of a sealed manifest in place and reseals it.</summary>
    public static void SetLastAccess(Span<byte> block, int keyLength, long ticks)
    {
        BinaryPrimitives.WriteInt64LittleEndian(block[56..], ticks);
        Seal(block, keyLength);
    }

    /// <summary>
    /// Reads a manifest, refusing any block that is not one: wrong length, magic, version or check hash. The caller
    /// still compares the key.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> block, out CacheManifest manifest)
    {
        manifest = default;
        if (block.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(block[8..]) != Magic ||
            block[12] != FormatVersion || (block[13] & ~InlineFlag) != 0)
        {
            return false;
        }

        manifest.Inline = block[13] == InlineFlag;
        manifest.KeyLength = BinaryPrimitives.ReadUInt16LittleEndian(block[14..]);
        manifest.ValueLength = BinaryPrimitives.ReadInt32LittleEndian(block[16..]);
        manifest.ChunkCount = BinaryPrimitives.ReadInt32LittleEndian(block[20..]);
        manifest.Nonce = BinaryPrimitives.ReadUInt64LittleEndian(block[24..]);
        manifest.ValueHash = BinaryPrimitives.ReadUInt64LittleEndian(block[32..]);
        manifest.AbsoluteTicks = BinaryPrimitives.ReadInt64LittleEndian(block[40..]);
        manifest.SlidingTicks = BinaryPrimitives.ReadInt64LittleEndian(block[48..]);
        manifest.LastAccessTicks = BinaryPrimitives.ReadInt64LittleEndian(block[56..]);
        if (manifest.ValueLength < 0 || manifest.ChunkCount < 0 || manifest.Inline != (manifest.ChunkCount == 0) ||
            (long)HeaderBytes + manifest.KeyLength + (manifest.Inline ? manifest.ValueLength : 0) != block.Length)
        {
            return false;
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(block) == XxHash3.HashToUInt64(block[8..(HeaderBytes + manifest.KeyLength)]);
    }

    /// <summary>The key bytes of a parsed manifest block.</summary>
    public readonly ReadOnlySpan<byte> Key(ReadOnlySpan<byte> block) => block.Slice(HeaderBytes, KeyLength);

    /// <summary>The inline value of a parsed manifest block.</summary>
    public readonly ReadOnlySpan<byte> InlineValue(ReadOnlySpan<byte> block) => block.Slice(HeaderBytes + KeyLength, ValueLength);

    private static void Seal(Span<byte> block, int keyLength) =>
        BinaryPrimitives.WriteUInt64LittleEndian(block, XxHash3.HashToUInt64(block[8..(HeaderBytes + keyLength)]));
}
