using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Fuzz;

/// <summary>
/// A whole flash file as the device finds it at open: superblock, heal, header scan, payload verification, reads.
/// Nothing may throw (a damaged file heals), and a read returns -1 or exactly the block's length.
/// </summary>
internal static class FlashFileHarness
{
    private const int Slots = 4;
    private const int SlotBytes = 4096;

    public static void Run(byte[] input)
    {
        string dir = Harnesses.Scratch("flash");
        File.WriteAllBytes(Path.Combine(dir, FlashDevice.FileName), input);
        using var device = new FlashDevice(dir, Slots, SlotBytes);
        var buffer = new byte[SlotBytes];
        foreach (RecoveredBlock block in device.Recover())
        {
            int read = device.Read(block.Slot, block.Key, buffer);
            if (read != -1 && read != block.PayloadLength)
            {
                throw new InvalidOperationException($"slot {block.Slot}: read {read} bytes of a {block.PayloadLength}-byte block");
            }
        }
    }

    public static IReadOnlyDictionary<string, byte[]> Seeds()
    {
        string scratch = Harnesses.Scratch("seed-flash");
        using (var device = new FlashDevice(scratch, Slots, SlotBytes))
        {
            var payload = new byte[SlotBytes];
            for (int s = 0; s < 3; s++)
            {
                new Random(s).NextBytes(payload);
                device.Write(s, new BlockKey((ulong)s + 1, 7), s == 0 ? BlockKey.Empty : new BlockKey((ulong)s, 7),
                    payload.AsSpan(0, SlotBytes - (s * 100)));
            }
        }

        return new Dictionary<string, byte[]> { ["three-blocks"] = File.ReadAllBytes(Path.Combine(scratch, FlashDevice.FileName)) };
    }
}
