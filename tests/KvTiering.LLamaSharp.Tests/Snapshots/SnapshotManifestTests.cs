using KvTiering.Blocks;
using KvTiering.LLamaSharp.Snapshots;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

public sealed class SnapshotManifestTests
{
    private static readonly BlockKey Key = new(0x1234, 0x5678);

    private static SnapshotManifest Sample() => new(Key, 100, SnapshotManifest.ChunksFor(400 + 5000, 1024), 400 + 5000, 5000, 0xABCDEF, 1024);

    [Fact]
    public void RoundTrips()
    {
        Span<byte> bytes = stackalloc byte[SnapshotManifest.Size];
        Sample().WriteTo(bytes);
        Assert.True(SnapshotManifest.TryRead(bytes, Key, 1024, out SnapshotManifest read));
        Assert.Equal(Sample(), read);
        Assert.Equal(6, read.ChunkCount);
    }

    [Fact]
    public void EveryFlippedBitIsRefused()
    {
        byte[] bytes = new byte[SnapshotManifest.Size];
        Sample().WriteTo(bytes);
        for (int bit = 0; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(SnapshotManifest.TryRead(bytes, Key, 1024, out _), $"bit {bit}");
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        }
    }

    [Fact]
    public void AnotherKeyOrChunkSizeOrLengthIsRefused()
    {
        byte[] bytes = new byte[SnapshotManifest.Size];
        Sample().WriteTo(bytes);
        Assert.False(SnapshotManifest.TryRead(bytes, new BlockKey(1, 2), 1024, out _));
        Assert.False(SnapshotManifest.TryRead(bytes, Key, 2048, out _));
        Assert.False(SnapshotManifest.TryRead(bytes.AsSpan(0, 71), Key, 1024, out _));

        (Sample() with { ChunkCount = 7 }).WriteTo(bytes);
        Assert.False(SnapshotManifest.TryRead(bytes, Key, 1024, out _));
    }

    [Fact]
    public void PieceKeysNeverCollideWithEachOther()
    {
        var keys = new HashSet<BlockKey> { Key };
        for (int c = 0; c < 1000; c++)
        {
            Assert.True(keys.Add(SnapshotKeys.Chunk(Key, c)));
        }

        Assert.True(keys.Add(SnapshotKeys.Waypoint(Key)));
        Assert.Equal(SnapshotKeys.Chunk(Key, 0), SnapshotKeys.Manifest(Key));
    }

    [Fact]
    public void WaypointRoundTripsAndRefusesTampering()
    {
        byte[] bytes = new byte[SnapshotWaypoint.Size];
        SnapshotWaypoint.Write(bytes, Key);
        Assert.True(SnapshotWaypoint.TryRead(bytes, out BlockKey read));
        Assert.Equal(Key, read);
        bytes[10] ^= 1;
        Assert.False(SnapshotWaypoint.TryRead(bytes, out _));
    }
}
