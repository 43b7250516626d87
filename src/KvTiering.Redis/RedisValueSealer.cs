using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Security;

namespace KvTiering.Redis;

/// <summary>
/// Lays a block out as the Redis value the device stores: the checksummed header (<see cref="RedisBlockHeader"/>), the
/// MAC that seals header and payload when the tier is authenticated, then the payload; owns the reusable value
/// buffer and the authenticator that reads check seals with.
/// </summary>
internal sealed class RedisValueSealer : IDisposable
{
    private readonly int _slotBytes;
    private byte[]? _buffer;

    public RedisValueSealer(byte[]? authenticationKey, BlockMacAlgorithm algorithm, int slotBytes)
    {
        Authenticator = authenticationKey is null ? null : new BlockAuthenticator(authenticationKey, algorithm);
        HeaderBytes = Authenticator is null ? RedisBlockHeader.Size : RedisBlockHeader.SealedSize;
        _slotBytes = slotBytes;
    }

    /// <summary>The authenticator every value is sealed and checked with; null for checksums only.</summary>
    public BlockAuthenticator? Authenticator { get; }

    /// <summary>The bytes in front of the payload: header, and seal when authenticated.</summary>
    public int HeaderBytes { get; }

    /// <summary>
    /// The value of a block, in a buffer taken for this write (not shared: the store may write different slots from
    /// two threads at once, as <c>IBlockDevice</c>'s contract allows); give it back with <see cref="Return"/>.
    /// </summary>
    public byte[] Seal(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload, out int valueLength)
    {
        valueLength = HeaderBytes + payload.Length;
        byte[] buffer = Interlocked.Exchange(ref _buffer, null) ?? new byte[HeaderBytes + _slotBytes];
        ushort flags = Authenticator is null ? (ushort)0 : RedisBlockHeader.SealedFlag;
        new RedisBlockHeader(key, parent, payload.Length, XxHash3.HashToUInt64(payload), flags).WriteTo(buffer);
        Authenticator?.Seal(buffer.AsSpan(0, RedisBlockHeader.Size), payload,
            buffer.AsSpan(RedisBlockHeader.Size, BlockAuthenticator.SealSize));
        payload.CopyTo(buffer.AsSpan(HeaderBytes));
        return buffer;
    }

    /// <summary>Hands a written value's buffer back for the next write.</summary>
    public void Return(byte[] buffer) => Volatile.Write(ref _buffer, buffer);

    public void Dispose() => Authenticator?.Dispose();
}
