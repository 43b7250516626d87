using System.Buffers.Binary;
using KvTiering.Blocks;

namespace KvTiering.Benchmarks.Contention;

/// <summary>Payloads: one random block with the block's id stamped into its first and last 8 bytes.</summary>
internal sealed class ContentionBlocks
{
    private int _writerNext = 500_000;

    public ContentionBlocks(int blockBytes)
    {
        BlockBytes = blockBytes;
        Base = new byte[blockBytes];
        new Random(3).NextBytes(Base);
    }

    public int BlockBytes { get; }

    public byte[] Base { get; }

    public long Mismatches { get; private set; }

    public static BlockKey Key(int id) => new((ulong)id * 0x9E3779B97F4A7C15UL + 1, (ulong)id);

    public int NextWriterId() => _writerNext++;

    /// <summary>The payload of <paramref name="id"/>, written into <paramref name="into"/> (the caller's own buffer) or a new array.</summary>
    public byte[] Fill(int id, byte[]? into = null)
    {
        byte[] payload = into ?? new byte[BlockBytes];
        Base.CopyTo(payload, 0);
        BinaryPrimitives.WriteInt64LittleEndian(payload, id);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(BlockBytes - 8), id);
        return payload;
    }

    public void Check(int id, ReadOnlySpan<byte> bytes)
    {
        if (!Matches(id, Base, bytes))
        {
            Mismatches++;
        }
    }

    public static bool Matches(int id, ReadOnlySpan<byte> baseBytes, ReadOnlySpan<byte> bytes) =>
        bytes.Length == baseBytes.Length
        && BinaryPrimitives.ReadInt64LittleEndian(bytes) == id
        && BinaryPrimitives.ReadInt64LittleEndian(bytes[^8..]) == id
        && bytes[8..^8].SequenceEqual(baseBytes[8..^8]);
}
