using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Security;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Devices;

/// <summary>
/// <see cref="FlashDeviceOptions.AuthenticationKey"/>: a MAC over key, parent, length and payload in every slot, so a
/// slot rewritten by someone without the secret is never served (issue #23's forged block).
/// </summary>
public sealed class FlashAuthenticationTests : IDisposable
{
    private const int Slots = 8;
    private const int SlotBytes = 5000;
    private const int Length = 3000;

    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] OtherSecret = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    private string FilePath => Path.Combine(Dir, FlashDevice.FileName);

    private static FlashGeometry Geometry => new(Slots, SlotBytes);

    public void Dispose() => _temp.Dispose();

    private static BlockKey DeviceKey(int i) => new((ulong)i + 1, 0xA117);

    private static byte[] Bytes(int seed)
    {
        var bytes = new byte[Length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static FlashDeviceOptions Sealed(byte[]? secret, BlockMacAlgorithm algorithm = BlockMacAlgorithm.HmacSha256,
        bool compression = false) =>
        new() { AuthenticationKey = secret, MacAlgorithm = algorithm, Compression = compression, RecoveryVerificationBudget = PatientFlash.Budget };

    private void WriteBlocks(FlashDeviceOptions options, int count = 3)
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, options);
        for (int i = 0; i < count; i++)
        {
            device.Write(i, DeviceKey(i), i == 0 ? BlockKey.Empty : DeviceKey(i - 1), Bytes(i));
        }
    }

    [Theory]
    [InlineData(BlockMacAlgorithm.HmacSha256, false)]
    [InlineData(BlockMacAlgorithm.HmacSha256, true)]
    [InlineData(BlockMacAlgorithm.Gmac, false)]
    public void Sealed_blocks_round_trip_and_survive_a_reopen(BlockMacAlgorithm algorithm, bool compression)
    {
        WriteBlocks(Sealed(Secret, algorithm, compression));
        using var device = new FlashDevice(Dir, Slots, SlotBytes, Sealed(Secret, algorithm, compression));
        Assert.True(device.Authenticated);
        Assert.Equal(3, device.Recover().Count);
        var buffer = new byte[SlotBytes];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Length, device.Read(i, DeviceKey(i), buffer));
            Assert.Equal(Bytes(i), buffer[..Length]);
        }

        Assert.Equal(0, device.GetStatistics().AuthenticationFailures);
    }

    [Fact]
    public void Without_a_key_a_rekeyed_header_with_a_matching_checksum_is_served_as_the_other_key()
    {
        // The finding the seal answers: checksums stop accidents, not someone who can compute them.
        WriteBlocks(Sealed(null));
        FlashSlotSurgery.Rekey(FilePath, Geometry, 1, DeviceKey(7));
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options());
        Assert.Contains(device.Recover(), b => b.Key.Equals(DeviceKey(7)));
        var buffer = new byte[SlotBytes];
        Assert.Equal(Length, device.Read(1, DeviceKey(7), buffer));
        Assert.Equal(Bytes(1), buffer[..Length]); // block 1's bytes, served as block 7
    }

    [Fact]
    public void With_a_key_a_rekeyed_header_with_a_matching_checksum_is_not_served_counted_and_freed()
    {
        WriteBlocks(Sealed(Secret));
        FlashSlotSurgery.Rekey(FilePath, Geometry, 1, DeviceKey(7));
        using (var device = new FlashDevice(Dir, Slots, SlotBytes, Sealed(Secret)))
        {
            IReadOnlyList<RecoveredBlock> blocks = device.Recover();
            Assert.Equal([DeviceKey(0), DeviceKey(2)], blocks.Select(b => b.Key));
            Assert.Equal(1, device.GetStatistics().AuthenticationFailures);
            Assert.Equal(-1, device.Read(1, DeviceKey(7), new byte[SlotBytes]));
        }

        Assert.False(FlashSlotHeader.TryRead(FlashSlotSurgery.ReadHeader(FilePath, Geometry, 1), 1, SlotBytes, out _));
    }

    [Fact]
    public void A_payload_swapped_under_a_genuine_seal_with_its_checksum_fixed_is_not_recovered()
    {
        WriteBlocks(Sealed(Secret));
        FlashSlotSurgery.ReplacePayload(FilePath, Geometry, 2, Bytes(99));
        using var device = new FlashDevice(Dir, Slots, SlotBytes, Sealed(Secret));
        Assert.Equal(2, device.Recover().Count);
        Assert.Equal(1, device.GetStatistics().AuthenticationFailures);
        Assert.Equal(0, device.GetStatistics().LostWrites);
    }

    [Fact]
    public void A_slot_rewritten_while_open_fails_its_seal_on_read()
    {
        // Buffered, so the test can write through the device's own descriptor (the file is locked to others).
        using var device = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { AuthenticationKey = Secret, DirectIO = false });
        device.Write(0, DeviceKey(0), BlockKey.Empty, Bytes(0));
        var header = new byte[FlashSlotHeader.Size];
        RandomAccess.Read(device.Handle, header, device.HeaderOffset(0));
        Array.Clear(header, FlashSlotHeader.SealOffset, BlockAuthenticator.SealSize); // strip the seal
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(120),
            System.IO.Hashing.XxHash3.HashToUInt64(header.AsSpan(0, 120)));
        RandomAccess.Write(device.Handle, header, device.HeaderOffset(0));
        Assert.Equal(-1, device.Read(0, DeviceKey(0), new byte[SlotBytes]));
        Assert.Equal(1, device.GetStatistics().AuthenticationFailures);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Blocks_without_a_seal_or_with_another_key_are_not_recovered(bool unsealed)
    {
        WriteBlocks(Sealed(unsealed ? null : OtherSecret));
        using var device = new FlashDevice(Dir, Slots, SlotBytes, Sealed(Secret));
        Assert.Empty(device.Recover());
        Assert.Equal(3, device.GetStatistics().AuthenticationFailures);
    }

    [Fact]
    public void A_short_key_is_rejected_with_its_length()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FlashDevice(Dir, Slots, SlotBytes, Sealed(new byte[16])));
        Assert.Contains("16 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_store_seals_its_flash_tier_with_the_tier_key()
    {
        using (TieredKvStore store = CreateWithFlash(Dir, [], 4, authenticationKey: Secret))
        {
            Assert.Equal(PutResult.Stored, store.Put(Key(0), BlockKey.Empty, Payload(0)));
        }

        using (TieredKvStore other = CreateWithFlash(Dir, [], 4, authenticationKey: OtherSecret))
        {
            Assert.Equal(0, other.Count);
        }

        using TieredKvStore reopened = CreateWithFlash(Dir, [], 4, authenticationKey: Secret);
        Assert.Equal(0, reopened.Count); // the other key's open freed the block: it could not tell it from a forgery
        Assert.Equal(PutResult.Stored, reopened.Put(Key(1), BlockKey.Empty, Payload(1)));
        var buffer = new byte[reopened.BlockBytes];
        Assert.True(reopened.TryGet(Key(1), buffer, out int written));
        Assert.Equal(Payload(1), buffer[..written]);
    }
}
