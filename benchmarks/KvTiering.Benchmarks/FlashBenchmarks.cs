// Last run (2026-11-27, 2-core Zen 4 EPYC shared with other work, .NET 10.0.12, --job short --inProcess
// --iterationCount 15; docs/benchmarks-io-notes.md). Time ratio to the raw baseline; throughput = 1 / ratio.
// *Verified / *Checksummed rows are raw I/O plus XxHash3 over the payload: the floor for a device that never returns
// unverified bytes.
// | Category | Block   | LZ4   | Raw      | Raw+XxHash3 (ratio) | Flash (ratio)     | Flash throughput |
// | Read     | 256 KiB | False | 10.97 us | 18.73 us (1.71)     | 23.05 us (2.10)   | 0.48x |
// | Read     | 256 KiB | True  | 11.61 us | 17.47 us (1.52)     | 24.06 us (2.09)   | 0.48x |
// | Read     | 2 MiB   | False | 106.0 us | 144.1 us (1.37)     | 162.3 us (1.54)   | 0.65x |
// | Read     | 2 MiB   | True  | 127.4 us | 194.8 us (1.54)     | 177.9 us (1.40)   | 0.71x |
// | Write    | 256 KiB | False | 10.98 us | 20.97 us (1.92)     | 27.57 us (2.52)   | 0.40x |
// | Write    | 256 KiB | True  | 10.68 us | 23.47 us (2.20)     | 53.21 us (5.00)   | 0.20x |
// | Write    | 2 MiB   | False | 260.4 us | 257.2 us (0.99)     | 288.7 us (1.11)   | 0.90x |
// | Write    | 2 MiB   | True  | 244.8 us | 285.3 us (1.17)     | 320.9 us (1.32)   | 0.76x |

using System.IO.Hashing;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Benchmarks;

/// <summary>
/// Flash-device block reads and writes against raw <see cref="RandomAccess"/> on a file of the same size at the same
/// offsets, each pair in its own category with the raw one as baseline; with LZ4 on and off (the payload is KV-like:
/// half random, half zeros, so LZ4 has something to do). <c>RawReadVerified</c> and <c>RawWriteChecksummed</c> are the
/// floor of any device that never returns unverified bytes: the raw call plus XxHash3 over the payload, the checksum
/// the device stores (and the fastest of System.IO.Hashing's on this machine).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class FlashBenchmarks
{
    private const int Slots = 32;
    private string _directory = null!;
    private FlashDevice _device = null!;
    private SafeFileHandle _raw = null!;
    private byte[] _payload = null!;
    private byte[] _buffer = null!;
    private BlockKey[] _keys = null!;
    private int _next;

    [Params(256 * 1024, 2 * 1024 * 1024)]
    public int BlockBytes { get; set; }

    [Params(false, true)]
    public bool Lz4 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"kvtiering-flash-bench-{Guid.NewGuid():N}");
        _device = new FlashDevice(_directory, Slots, BlockBytes, Lz4);
        _raw = File.OpenHandle(Path.Combine(_directory, "raw.bin"), FileMode.Create, FileAccess.ReadWrite, FileShare.None,
            FileOptions.RandomAccess, preallocationSize: (long)Slots * BlockBytes);
        _payload = new byte[BlockBytes];
        new Random(9).NextBytes(_payload.AsSpan(0, BlockBytes / 2));
        _buffer = new byte[BlockBytes];
        _keys = new BlockKey[Slots];
        for (int i = 0; i < Slots; i++)
        {
            _keys[i] = new BlockKey((ulong)i + 1, 11);
            _device.Write(i, _keys[i], BlockKey.Empty, _payload);
            RandomAccess.Write(_raw, _payload, (long)i * BlockBytes);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _device.Dispose();
        _raw.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Read")]
    public int RawRead() => RandomAccess.Read(_raw, _buffer, (long)Next() * BlockBytes);

    [Benchmark]
    [BenchmarkCategory("Read")]
    public ulong RawReadVerified()
    {
        RandomAccess.Read(_raw, _buffer, (long)Next() * BlockBytes);
        return XxHash3.HashToUInt64(_buffer);
    }

    [Benchmark]
    [BenchmarkCategory("Read")]
    public int FlashRead()
    {
        int slot = Next();
        return _device.Read(slot, _keys[slot], _buffer);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Write")]
    public void RawWrite() => RandomAccess.Write(_raw, _payload, (long)Next() * BlockBytes);

    [Benchmark]
    [BenchmarkCategory("Write")]
    public ulong RawWriteChecksummed()
    {
        ulong checksum = XxHash3.HashToUInt64(_payload);
        RandomAccess.Write(_raw, _payload, (long)Next() * BlockBytes);
        return checksum;
    }

    [Benchmark]
    [BenchmarkCategory("Write")]
    public void FlashWrite()
    {
        int slot = Next();
        _device.Write(slot, _keys[slot], BlockKey.Empty, _payload);
    }

    private int Next() => _next = (_next + 1) % Slots;
}
