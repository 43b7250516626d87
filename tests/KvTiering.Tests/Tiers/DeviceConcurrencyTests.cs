using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Tiers;

/// <summary>
/// The store's device contract: Read, Write, PayloadLength and Free run outside its lock, from several threads at once,
/// on different slots. Each thread here owns its own slots and checks every byte it reads back.
/// </summary>
public sealed class DeviceConcurrencyTests : IDisposable
{
    private const int Threads = 4;
    private const int SlotsPerThread = 6;
    private const int SlotBytes = 9000;
    private const int Rounds = 150;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Devices => ["memory", "flash-direct-qd2", "flash-buffered-lz4"];

    private IBlockDevice Create(string kind) => kind switch
    {
        "memory" => new MemoryDevice(Threads * SlotsPerThread, SlotBytes),
        "flash-direct-qd2" => new FlashDevice(_temp.Sub("f"), Threads * SlotsPerThread, SlotBytes,
            new FlashDeviceOptions { QueueDepth = 2 }),
        _ => new FlashDevice(_temp.Sub("f"), Threads * SlotsPerThread, SlotBytes,
            new FlashDeviceOptions { DirectIO = false, Compression = true }),
    };

    /// <summary>Half random (incompressible), half a repeating pattern (compressible), seeded by the generation.</summary>
    private static void Fill(Span<byte> bytes, int seed)
    {
        if ((seed & 1) == 0)
        {
            new Random(seed).NextBytes(bytes);
            return;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((i % 29) ^ seed);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Threads_on_distinct_slots_never_see_each_others_bytes(string kind)
    {
        using IBlockDevice device = Create(kind);
        Exception?[] failures = new Exception?[Threads];
        using var start = new Barrier(Threads);
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                Hammer(device, t, start);
            }
            catch (Exception e)
            {
                failures[t] = e;
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(failures, f => Assert.Null(f));
    }

    private static void Hammer(IBlockDevice device, int thread, Barrier start)
    {
        var random = new Random(thread);
        var seeds = new int[SlotsPerThread];   // 0: free
        var lengths = new int[SlotsPerThread];
        var expected = new byte[SlotBytes];
        var actual = new byte[SlotBytes];
        start.SignalAndWait();
        for (int round = 0; round < Rounds; round++)
        {
            int local = random.Next(SlotsPerThread);
            int slot = (thread * SlotsPerThread) + local;
            var key = new BlockKey((ulong)slot + 1, (ulong)seeds[local]);
            switch (random.Next(4))
            {
                case 0 or 1:
                    int seed = (thread << 20) | (round + 1);
                    int length = 1 + random.Next(SlotBytes);
                    Fill(expected.AsSpan(0, length), seed);
                    device.Write(slot, new BlockKey((ulong)slot + 1, (ulong)seed), BlockKey.Empty, expected.AsSpan(0, length));
                    seeds[local] = seed;
                    lengths[local] = length;
                    break;
                case 2 when seeds[local] != 0:
                    Assert.Equal(lengths[local], device.PayloadLength(slot));
                    Assert.Equal(lengths[local], device.Read(slot, key, actual));
                    Fill(expected.AsSpan(0, lengths[local]), seeds[local]);
                    Assert.True(expected.AsSpan(0, lengths[local]).SequenceEqual(actual.AsSpan(0, lengths[local])),
                        $"slot {slot} returned other bytes than written");
                    break;
                case 3:
                    device.Free(slot);
                    seeds[local] = 0;
                    Assert.Equal(0, device.PayloadLength(slot));
                    break;
            }
        }
    }
}
