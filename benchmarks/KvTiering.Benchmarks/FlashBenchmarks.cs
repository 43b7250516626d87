using System.IO.Hashing;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Benchmarks;

/// <summary>
/// Flash-device block reads and writes against raw <see cref="RandomAccess"/> through the device's own O_DIRECT file
/// descriptor, at the device's slot offsets, so the page cache is out of the way on both sides. At queue depth 8 each
/// invocation runs 8 operations on 8 different slots at once (raw: 8 preads or pwrites); times are per operation.
/// <c>RawReadVerified</c> and <c>RawWriteChecksummed</c> add XxHash3 over the payload to the raw call: the floor of
/// any device that never returns unverified bytes. The payload is KV-like: half random, half zeros.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public unsafe class FlashBenchmarks
{
    private const int Slots = 64;
    private const int Depth = 8;   // operations per invocation at either queue depth, so both rows do the same work
    private string _directory = null!;
    private FlashDevice _device = null!;
    private byte[] _payload = null!;
    private byte[][] _buffers = null!;
    private byte*[] _aligned = null!;
    private BlockKey[] _keys = null!;
    private int _next;

    [Params(256 * 1024, 2 * 1024 * 1024)]
    public int BlockBytes { get; set; }

    [Params(1, 8)]
    public int QueueDepth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Blocking I/O on 8 pool threads at once: without enough threads queue depth 8 would run as 2 (one per core).
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 2 * Depth), completion);
        _directory = Path.Combine(Path.GetTempPath(), $"kvtiering-flash-bench-{Guid.NewGuid():N}");
        _device = new FlashDevice(_directory, Slots, BlockBytes, new FlashDeviceOptions { QueueDepth = QueueDepth });
        if (!_device.DirectIO)
        {
            throw new InvalidOperationException($"No O_DIRECT under {_directory}: {_device.BufferedReason}");
        }

        _payload = new byte[BlockBytes];
        new Random(9).NextBytes(_payload.AsSpan(0, BlockBytes / 2));
        _buffers = new byte[Depth][];
        _aligned = new byte*[Depth];
        for (int i = 0; i < Depth; i++)
        {
            _buffers[i] = new byte[BlockBytes];
            _aligned[i] = (byte*)NativeMemory.AlignedAlloc((nuint)BlockBytes, 4096);
            _payload.CopyTo(new Span<byte>(_aligned[i], BlockBytes));
        }

        _keys = new BlockKey[Slots];
        for (int i = 0; i < Slots; i++)
        {
            _keys[i] = new BlockKey((ulong)i + 1, 11);
            _device.Write(i, _keys[i], BlockKey.Empty, _payload);
        }

        if (_device.Read(0, _keys[0], _buffers[0]) != BlockBytes || !_buffers[0].AsSpan().SequenceEqual(_payload))
        {
            throw new InvalidOperationException("The flash device did not return the bytes written.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _device.Dispose();
        for (int i = 0; i < Depth; i++)
        {
            NativeMemory.AlignedFree(_aligned[i]);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Read")]
    public void RawRead() => Run(static (b, i, slot) =>
        RandomAccess.Read(b._device.Handle, b.Aligned(i), b._device.HeaderOffset(slot)));

    [Benchmark(OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Read")]
    public void RawReadVerified() => Run(static (b, i, slot) =>
    {
        RandomAccess.Read(b._device.Handle, b.Aligned(i), b._device.HeaderOffset(slot));
        return (int)XxHash3.HashToUInt64(b.Aligned(i));
    });

    [Benchmark(OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Read")]
    public void FlashRead() => Run(static (b, i, slot) => b._device.Read(slot, b._keys[slot], b._buffers[i]));

    [Benchmark(Baseline = true, OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Write")]
    public void RawWrite() => Run(static (b, i, slot) =>
    {
        RandomAccess.Write(b._device.Handle, b.Aligned(i), b._device.HeaderOffset(slot));
        return 0;
    });

    [Benchmark(OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Write")]
    public void RawWriteChecksummed() => Run(static (b, i, slot) =>
    {
        ulong checksum = XxHash3.HashToUInt64(b._payload);
        RandomAccess.Write(b._device.Handle, b.Aligned(i), b._device.HeaderOffset(slot));
        return (int)checksum;
    });

    [Benchmark(OperationsPerInvoke = Depth)]
    [BenchmarkCategory("Write")]
    public void FlashWrite() => Run(static (b, _, slot) =>
    {
        b._device.Write(slot, b._keys[slot], BlockKey.Empty, b._payload);
        return 0;
    });

    private Span<byte> Aligned(int i) => new(_aligned[i], BlockBytes);

    /// <summary>The device under test, for <see cref="FlashPairedRun"/>'s extra rows.</summary>
    internal FlashDevice Device => _device;

    /// <summary>Runs <paramref name="operation"/> (this, buffer index, slot) the way every row here runs.</summary>
    internal void RunRow(Func<FlashBenchmarks, int, int, int> operation) => Run(operation);

    /// <summary>Runs <see cref="Depth"/> operations on distinct slots, <see cref="QueueDepth"/> of them at once.</summary>
    private void Run(Func<FlashBenchmarks, int, int, int> operation)
    {
        int first = _next;
        _next = (_next + Depth) % Slots;
        if (QueueDepth == 1)
        {
            for (int i = 0; i < Depth; i++)
            {
                operation(this, i, (first + i) % Slots);
            }

            return;
        }

        Parallel.For(0, Depth, new ParallelOptions { MaxDegreeOfParallelism = QueueDepth },
            i => operation(this, i, (first + i) % Slots));
    }
}
