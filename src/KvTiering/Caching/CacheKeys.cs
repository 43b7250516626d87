using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using KvTiering.Blocks;

namespace KvTiering.Caching;

/// <summary>
/// Derives the block keys of distributed-cache entries. The manifest key hashes a namespace string (which names the
/// instance, length-prefixed so no instance/key split aliases another) followed by the UTF-8 cache key; chunk keys
/// hash a tag, the manifest key, the entry's random write nonce and the chunk index.
/// </summary>
/// <remarks>
/// KV block keys hash either a namespace string beginning "kvtiering/v" or a 16-byte parent key followed by 4-byte
/// tokens (16 + 4n bytes). Manifest inputs begin "kvtiering/distributed-cache/" and chunk inputs are 41 bytes, which is
/// no 16 + 4n, so no cache input equals a KV input: a collision needs a true 128-bit XxHash128 collision.
/// </remarks>
internal static class CacheKeys
{
    private const int ChunkInputBytes = 41;
    private const ulong ChunkTag = 0x4B4E484344564B; // "KVDCHNK"

    /// <summary>Strict UTF-8: a key with a lone surrogate is refused rather than silently aliased to U+FFFD.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The UTF-8 namespace that precedes every key of one cache instance.</summary>
    public static byte[] Prefix(string instanceName) =>
        Utf8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"kvtiering/distributed-cache/v1|instance={instanceName.Length}:{instanceName}|key="));

    /// <summary>The manifest key of a prefixed UTF-8 key.</summary>
    public static BlockKey Manifest(ReadOnlySpan<byte> prefixedKey) => NonEmpty(XxHash128.HashToUInt128(prefixedKey));

    /// <summary>The key of chunk <paramref name="index"/> of the entry written with <paramref name="nonce"/>.</summary>
    public static BlockKey Chunk(in BlockKey manifest, ulong nonce, int index)
    {
        Span<byte> input = stackalloc byte[ChunkInputBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(input, ChunkTag);
        manifest.WriteTo(input[8..]);
        BinaryPrimitives.WriteUInt64LittleEndian(input[24..], nonce);
        BinaryPrimitives.WriteInt32LittleEndian(input[32..], index);
        input[36..].Clear();
        return NonEmpty(XxHash128.HashToUInt128(input));
    }

    // The empty key is reserved; a 2^-128 event, remapped rather than refused.
    private static BlockKey NonEmpty(UInt128 hash) => hash == 0 ? new BlockKey(1, 0) : BlockKey.FromUInt128(hash);
}
