using System.IO.Hashing;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using KvTiering.Devices;

namespace KvTiering.Benchmarks;

/// <summary>
/// The flash device's CPU work per block, without the disk: XxHash3 of a page-aligned I/O buffer and the copy out of
/// it, as two passes (what the device did before session 6) against the one chunked pass it does now, and the checksum
/// alone over the block in place (what a write straight from the caller's memory would leave of the work). The source
/// cycles through 16 buffers, as the device's pool and the disk's DMA leave them out of the core's caches.
/// </summary>
[MemoryDiagnoser]
public unsafe class ChecksummedCopyBenchmarks
{
    private const int Buffers = 16;
    private byte*[] _sources = null!;
    private byte[] _destination = null!;
    private int _next;

    [Params(256 * 1024, 2 * 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sources = new byte*[Buffers];
        var random = new Random(5);
        for (int i = 0; i < Buffers; i++)
        {
            _sources[i] = (byte*)NativeMemory.AlignedAlloc((nuint)BlockBytes, 4096);
            random.NextBytes(new Span<byte>(_sources[i], BlockBytes));
        }

        _destination = new byte[BlockBytes];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (int i = 0; i < Buffers; i++)
        {
            NativeMemory.AlignedFree(_sources[i]);
        }
    }

    [Benchmark(Baseline = true)]
    public ulong HashThenCopy()
    {
        var source = new ReadOnlySpan<byte>(_sources[_next = (_next + 1) % Buffers], BlockBytes);
        ulong hash = XxHash3.HashToUInt64(source);
        source.CopyTo(_destination);
        return hash;
    }

    [Benchmark]
    public ulong OnePass() =>
        ChecksummedCopy.Copy(new ReadOnlySpan<byte>(_sources[_next = (_next + 1) % Buffers], BlockBytes), _destination);

    /// <summary>The checksum alone, read in place: a write that sends the caller's bytes to the disk without a copy.</summary>
    [Benchmark]
    public ulong HashInPlace() =>
        XxHash3.HashToUInt64(new ReadOnlySpan<byte>(_sources[_next = (_next + 1) % Buffers], BlockBytes));
}
