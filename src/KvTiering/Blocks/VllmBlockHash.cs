using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace KvTiering.Blocks;

/// <summary>
/// One block hash of vLLM's <c>sha256_cbor</c> prefix-caching scheme: the 32-byte SHA-256 digest exactly as vLLM
/// computes it (see <see cref="VllmBlockHasher"/> and docs/key-spec.md, "vLLM scheme").
/// </summary>
public readonly struct VllmBlockHash : IEquatable<VllmBlockHash>
{
    /// <summary>Length of the digest in bytes.</summary>
    public const int Length = 32;

    // The digest as four big-endian words, in digest order: _w0 holds bytes 0..7, _w3 bytes 24..31.
    private readonly ulong _w0, _w1, _w2, _w3;

    /// <summary>Wraps a 32-byte digest.</summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes long.</exception>
    public VllmBlockHash(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != Length)
        {
            ThrowHelper.ThrowArgument(nameof(digest), $"A vLLM block hash is {Length} bytes; got {digest.Length}.");
        }

        _w0 = BinaryPrimitives.ReadUInt64BigEndian(digest);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(digest[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(digest[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(digest[24..]);
    }

    /// <summary>
    /// The 64-bit form vLLM puts in KV events when <c>VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES</c> is set:
    /// <c>int.from_bytes(digest, "big") &amp; (2**64 - 1)</c>, that is the digest's last 8 bytes, big-endian.
    /// </summary>
    public ulong EventHash => _w3;

    /// <summary>
    /// The store key for this block: the digest's last 16 bytes (<see cref="BlockKey.Low"/> = <see cref="EventHash"/>),
    /// so a store keyed by this scheme publishes the same 64-bit hashes vLLM does.
    /// </summary>
    public BlockKey ToBlockKey() => new(_w3, _w2);

    /// <summary>Writes the 32-byte digest.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, Length);
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    /// <inheritdoc/>
    public bool Equals(VllmBlockHash other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is VllmBlockHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)_w3 ^ (int)(_w3 >> 32);

    /// <summary>The digest in lowercase hex, as Python's <c>digest.hex()</c> prints it.</summary>
    [SkipLocalsInit]
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality of digests.</summary>
    public static bool operator ==(VllmBlockHash left, VllmBlockHash right) => left.Equals(right);

    /// <summary>Inequality of digests.</summary>
    public static bool operator !=(VllmBlockHash left, VllmBlockHash right) => !left.Equals(right);
}
