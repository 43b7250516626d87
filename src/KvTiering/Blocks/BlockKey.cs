using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace KvTiering.Blocks;

/// <summary>
/// A 128-bit content address of one full block of tokens. Keys are chained: a block's key hashes its parent's key
/// and its own token ids, so two equal keys mean two equal prefixes (see docs/key-spec.md).
/// </summary>
/// <remarks>The all-zero value is <see cref="Empty"/>: it is never a valid block key and stands for "no parent".</remarks>
public readonly struct BlockKey : IEquatable<BlockKey>
{
    /// <summary>The low 64 bits.</summary>
    public ulong Low { get; }

    /// <summary>The high 64 bits.</summary>
    public ulong High { get; }

    /// <summary>Creates a key from its two halves.</summary>
    public BlockKey(ulong low, ulong high)
    {
        Low = low;
        High = high;
    }

    /// <summary>The empty key: no block, or the parent of a sequence's first block.</summary>
    public static BlockKey Empty => default;

    /// <summary>Whether this is the <see cref="Empty"/> key.</summary>
    public bool IsEmpty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Low | High) == 0;
    }

    /// <summary>Builds a key from a 128-bit integer.</summary>
    public static BlockKey FromUInt128(UInt128 value) => new((ulong)value, (ulong)(value >> 64));

    /// <summary>The key as a 128-bit integer.</summary>
    public UInt128 ToUInt128() => new(High, Low);

    /// <summary>Writes the key as 16 little-endian bytes (low half first), the form the key spec hashes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Low);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], High);
    }

    /// <summary>Reads a key written by <see cref="WriteTo"/>.</summary>
    public static BlockKey ReadFrom(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt64LittleEndian(source[8..]));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(BlockKey other) => Low == other.Low && High == other.High;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is BlockKey other && Equals(other);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode() => (int)Low ^ (int)(Low >> 32) ^ (int)High;

    /// <summary>The key as 32 hex digits, high half first.</summary>
    public override string ToString() => $"{High:x16}{Low:x16}";

    /// <summary>Parses the 32-hex-digit form written by <see cref="ToString"/>.</summary>
    public static BlockKey Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 32)
        {
            throw new FormatException($"A block key is 32 hex digits; got '{hex}'.");
        }

        return new BlockKey(
            ulong.Parse(hex.AsSpan(16), System.Globalization.NumberStyles.HexNumber, null),
            ulong.Parse(hex.AsSpan(0, 16), System.Globalization.NumberStyles.HexNumber, null));
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(BlockKey left, BlockKey right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(BlockKey left, BlockKey right) => !left.Equals(right);
}
