using System.Buffers;
using KvTiering.Blocks;

namespace KvTiering.Caching;

/// <summary>A pooled encoding of one cache key; dispose once to return the buffer.</summary>
internal readonly struct EncodedCacheKey(byte[] buffer, int keyOffset, int keyLength) : IDisposable
{
    /// <summary>The key of the entry's manifest block.</summary>
    public BlockKey Manifest { get; } = CacheKeys.Manifest(buffer.AsSpan(0, keyOffset + keyLength));

    /// <summary>The key's UTF-8 bytes, without the instance prefix.</summary>
    public ReadOnlySpan<byte> Utf8 => buffer.AsSpan(keyOffset, keyLength);

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}
