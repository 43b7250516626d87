using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Devices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Tests.Tiers;

/// <summary>
/// The flash device's one-pass copy and checksum: the same XxHash3 as the one-shot call over the bytes (what headers
/// on flash record), the bytes copied exactly, and a multi-chunk block that is corrupted on flash still misses.
/// </summary>
public sealed class ChecksummedCopyTests : IDisposable
{
    private const int Chunk = ChecksummedCopy.ChunkBytes;
    private const int OnePass = ChecksummedCopy.OnePassMinBytes;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<int> Lengths =>
        [0, 1, 63, 240, 241, 1024, Chunk + 1, 256 * 1024, OnePass - 1, OnePass, OnePass + 1, OnePass + Chunk - 1,
            OnePass + (2 * Chunk) + 17, (2 * 1024 * 1024) + 7];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Copy_returns_the_one_shot_XxHash3_and_copies_every_byte(int length)
    {
        var source = new byte[length];
        new Random(length).NextBytes(source);
        var destination = new byte[length + 3];
        destination.AsSpan().Fill(0xEE);

        ulong hash = ChecksummedCopy.Copy(source, destination);

        Assert.Equal(XxHash3.HashToUInt64(source), hash);
        Assert.True(destination.AsSpan(0, length).SequenceEqual(source));
        Assert.Equal([0xEE, 0xEE, 0xEE], destination[length..]);
    }

    [Fact]
    public void Copy_on_one_thread_after_another_starts_each_hash_afresh()
    {
        var a = new byte[OnePass + (3 * Chunk) + 5];
        var b = new byte[OnePass + (2 * Chunk) + 9];
        new Random(1).NextBytes(a);
        new Random(2).NextBytes(b);
        var sink = new byte[a.Length];
        Assert.Equal(XxHash3.HashToUInt64(a), ChecksummedCopy.Copy(a, sink));
        Assert.Equal(XxHash3.HashToUInt64(b), ChecksummedCopy.Copy(b, sink));
        Assert.Equal(XxHash3.HashToUInt64(a), ChecksummedCopy.Copy(a, sink));
    }

    [Theory]
    [InlineData(5)]                           // first chunk
    [InlineData(OnePass + 3)]                 // a middle chunk
    [InlineData(OnePass + (3 * Chunk) + 100)] // the short last chunk
    public void A_multi_chunk_block_with_a_flipped_byte_misses_and_clears_the_destination(int flipAt)
    {
        const int slotBytes = OnePass + (3 * Chunk) + 4000; // the one-pass path, ending in a short chunk
        string dir = _temp.Sub("flash");
        var payload = new byte[slotBytes];
        new Random(7).NextBytes(payload);
        var key = new BlockKey(9, 9);
        long offset;
        using (var device = new FlashDevice(dir, 4, slotBytes, PatientFlash.Options()))
        {
            device.Write(1, key, BlockKey.Empty, payload);
            device.Write(2, new BlockKey(10, 10), BlockKey.Empty, payload);
            var back = new byte[slotBytes];
            Assert.Equal(slotBytes, device.Read(1, key, back));
            Assert.Equal(payload, back);
            offset = device.PayloadOffset(1) + flipAt;
        }

        using (SafeFileHandle handle = File.OpenHandle(Path.Combine(dir, FlashDevice.FileName), FileMode.Open, FileAccess.ReadWrite))
        {
            var one = new byte[1];
            RandomAccess.Read(handle, one, offset);
            one[0] ^= 0x21;
            RandomAccess.Write(handle, one, offset);
        }

        using var reopened = new FlashDevice(dir, 4, slotBytes, PatientFlash.Options());
        // Since the flash tier verifies payloads when it opens, the damaged block is not even recovered; the read
        // below then misses on a free slot. ChecksummedCopy's own tests above cover the flip on the read path.
        Assert.Single(reopened.Recover());
        Assert.Equal(1, reopened.GetStatistics().LostWrites);
        var buffer = new byte[slotBytes];
        Assert.Equal(-1, reopened.Read(1, key, buffer));
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Equal(slotBytes, reopened.Read(2, new BlockKey(10, 10), buffer));
        Assert.Equal(payload, buffer);
    }
}
