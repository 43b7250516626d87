// Results and the runs' conditions: docs/benchmarks.md (session 6, 2026-12-04, quiet machine, in process).

using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Benchmarks;

/// <summary>
/// DRAM-tier get and put of whole blocks against the physical limit measured in the same run: a plain copy of the
/// same bytes between native buffers, cycling through as many blocks as the store does (so both stream from memory).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class PayloadBenchmarks
{
    private const int Blocks = 64;
    private const int Keys = Blocks + 1; // one slot spare, so consecutive puts land in different slots
    private TieredKvStore _store = null!;
    private BlockKey[] _keys = null!;
    private byte* _source;
    private byte* _destination;
    private byte* _slab; // the baseline's own 64 blocks, so it streams from memory as the store does, not from a hot cache
    private byte* _hugeSlab; // the same, laid out as the store's DRAM slab is (huge-page aligned and advised)
    private byte[] _buffer = null!;
    private int _next;
    private int _putStep;

    [Params(16 * 1024, 256 * 1024, 2 * 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One layer × one head × BlockBytes/4 dims × 2 bytes × 1 token: a layout whose block is exactly BlockBytes.
        var layout = new KvLayout("bench", 1, 1, BlockBytes / 4, 2, 1);
        var options = new KvStoreOptions { Layout = layout };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Keys));
        _store = new TieredKvStore(options);
        _buffer = new byte[BlockBytes];
        new Random(1).NextBytes(_buffer);
        _keys = new BlockKey[Keys];
        for (int i = 0; i < Keys; i++)
        {
            _keys[i] = new BlockKey((ulong)i + 1, 7);
            if (i < Blocks)
            {
                _store.Put(_keys[i], BlockKey.Empty, _buffer);
            }
        }

        _source = (byte*)NativeMemory.AlignedAlloc((nuint)BlockBytes, 64);
        _destination = (byte*)NativeMemory.AlignedAlloc((nuint)BlockBytes, 64);
        _buffer.CopyTo(new Span<byte>(_source, BlockBytes));
        _slab = (byte*)NativeMemory.AlignedAlloc((nuint)((long)Blocks * BlockBytes), 64);
        _hugeSlab = HugePages.Allocate((nuint)((long)Blocks * BlockBytes));
        for (int i = 0; i < Blocks; i++)
        {
            _buffer.CopyTo(new Span<byte>(_slab + ((long)i * BlockBytes), BlockBytes));
            _buffer.CopyTo(new Span<byte>(_hugeSlab + ((long)i * BlockBytes), BlockBytes));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        NativeMemory.AlignedFree(_source);
        NativeMemory.AlignedFree(_destination);
        NativeMemory.AlignedFree(_slab);
        NativeMemory.AlignedFree(_hugeSlab);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Get")]
    public void MemoryCopy()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        new ReadOnlySpan<byte>(_slab + ((long)i * BlockBytes), BlockBytes).CopyTo(new Span<byte>(_destination, BlockBytes));
    }

    /// <summary>The copy out of memory laid out as the store's slab (huge pages where it is 2 MiB or more).</summary>
    [Benchmark]
    [BenchmarkCategory("Get")]
    public void MemoryCopyHugePages()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        new ReadOnlySpan<byte>(_hugeSlab + ((long)i * BlockBytes), BlockBytes).CopyTo(new Span<byte>(_destination, BlockBytes));
    }

    [Benchmark]
    [BenchmarkCategory("Get")]
    public bool DramGet()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        return _store.TryGet(_keys[i], new Span<byte>(_destination, BlockBytes), out _);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Put")]
    public void MemoryCopyPut()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        new ReadOnlySpan<byte>(_source, BlockBytes).CopyTo(new Span<byte>(_slab + ((long)i * BlockBytes), BlockBytes));
    }

    /// <summary>The copy into memory laid out as the store's slab (huge pages where it is 2 MiB or more).</summary>
    [Benchmark]
    [BenchmarkCategory("Put")]
    public void MemoryCopyPutHugePages()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        new ReadOnlySpan<byte>(_source, BlockBytes).CopyTo(new Span<byte>(_hugeSlab + ((long)i * BlockBytes), BlockBytes));
    }

    [Benchmark]
    [BenchmarkCategory("Put")]
    public PutResult DramPut()
    {
        // A new block into the spare slot, then the oldest resident block out: every put really writes a block, and
        // the freed slot takes the next put, so puts cycle through all 65 slots as the baseline cycles through its 64
        // (a remove + put of one key would land in the same, cache-hot slot every time).
        int n = _putStep;
        _putStep = n + 1 == Keys ? 0 : n + 1;
        PutResult result = _store.Put(_keys[(n + Blocks) % Keys], BlockKey.Empty, new ReadOnlySpan<byte>(_source, BlockBytes));
        _store.Remove(_keys[n]);
        return result;
    }
}
