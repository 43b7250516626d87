using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Fuzzing;
using KvTiering.Security;
using KvTiering.Tests.Tiers;

namespace KvTiering.Tests.Devices;

/// <summary>
/// Mutation fuzzing of what a flash tier reads back from its file: the superblock, a slot header, and whole files
/// opened by the device. Oracles: no exception but the documented one, nothing accepted that describes another
/// geometry or block, and no read ever returns bytes no one wrote under that key.
/// </summary>
public sealed class FlashFuzzTests : IDisposable
{
    private const int Slots = 3;
    private const int SlotBytes = 200;
    private static readonly byte[] Secret = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static FlashGeometry Geometry => new(Slots, SlotBytes);

    private static BlockKey Key(int i) => new((ulong)i + 11, 0xF022);

    private static byte[] Payload(int i) => Enumerable.Range(0, 50 + (60 * i)).Select(b => (byte)(b * (i + 3))).ToArray();

    [Fact]
    public void SuperblockParserThrowsOnlyInvalidDataAndAcceptsOnlyItsOwnGeometry()
    {
        var genuine = new byte[FlashGeometry.PageBytes];
        Geometry.WriteSuperblock(genuine);
        var other = new byte[FlashGeometry.PageBytes];
        new FlashGeometry(Slots + 1, SlotBytes).WriteSuperblock(other);
        MutationFuzzer.Run("flash-superblock", [genuine, other, genuine[..64]], input =>
        {
            try
            {
                Geometry.VerifySuperblock(input, "fuzz");
            }
            catch (InvalidDataException)
            {
                return;
            }

            Assert.True(input.AsSpan(0, 64).SequenceEqual(genuine.AsSpan(0, 64)), "a superblock of another layout was accepted");
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SlotHeaderParserNeverThrowsAndTrustsOnlyGenuineSeals(bool authenticated)
    {
        using BlockAuthenticator? authenticator = authenticated ? new BlockAuthenticator(Secret) : null;
        byte[][] seeds = [.. Enumerable.Range(0, 2).Select(i =>
        {
            var header = new byte[FlashSlotHeader.Size];
            new FlashSlotHeader(1, Key(i), i == 0 ? BlockKey.Empty : Key(0), Payload(i).Length, Payload(i).Length, false,
                (ulong)i + 1, System.IO.Hashing.XxHash3.HashToUInt64(Payload(i)), authenticated).WriteTo(header, authenticator, Payload(i));
            return header;
        })];
        MutationFuzzer.Run($"flash-header-{(authenticated ? "sealed" : "plain")}", seeds, input =>
        {
            if (!FlashSlotHeader.TryRead(input, 1, SlotBytes, out FlashSlotHeader header)
                || authenticator is null
                || !FlashSlotHeader.VerifyHeaderSeal(input, authenticator))
            {
                return;
            }

            int i = header.Key.Equals(Key(0)) ? 0 : 1;
            Assert.True(header.Key.Equals(Key(i)) && header.RawLength == Payload(i).Length && header.IsSealed,
                "a header no one sealed verified");
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeviceOpensAnyFileAndReadsOnlyGenuineBytes(bool authenticated)
    {
        string dir = _temp.Sub("flash-" + authenticated);
        string path = Path.Combine(dir, FlashDevice.FileName);
        var options = new FlashDeviceOptions { DirectIO = false, AuthenticationKey = authenticated ? Secret : null };
        using (var device = new FlashDevice(dir, Slots, SlotBytes, options))
        {
            for (int i = 0; i < Slots; i++)
            {
                device.Write(i, Key(i), i == 0 ? BlockKey.Empty : Key(i - 1), Payload(i));
            }
        }

        byte[] file = File.ReadAllBytes(path);
        // Seeds: the whole file, and its superblock with one slot (mutants near the superblock and headers).
        byte[][] seeds = [file, file[..(int)(FlashGeometry.FirstSlotOffset + Geometry.Stride)]];
        var buffer = new byte[SlotBytes];
        MutationFuzzer.Run($"flash-file-{(authenticated ? "sealed" : "plain")}", seeds, input =>
        {
            File.WriteAllBytes(path, input);
            using var device = new FlashDevice(dir, Slots, SlotBytes, options);
            foreach (RecoveredBlock block in device.Recover())
            {
                int i = Enumerable.Range(0, Slots).FirstOrDefault(k => Key(k).Equals(block.Key), -1);
                Assert.True(i >= 0, "a block no one wrote was recovered");
                int read = device.Read(block.Slot, block.Key, buffer);
                Assert.True(read == -1 || buffer.AsSpan(0, read).SequenceEqual(Payload(i)), "a read returned bytes no one wrote");
            }
        }, Math.Max(100, MutationFuzzer.Iterations / 30)); // a file written and opened per input: a thirtieth as many
    }
}
