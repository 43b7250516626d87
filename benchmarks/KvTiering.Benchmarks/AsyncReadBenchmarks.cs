// Results and the runs' conditions: docs/benchmarks.md ("AsyncReadBenchmarks"; measured in session 30, 2026-12-07).

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Benchmarks;

/// <summary>
/// The read entries that report a result as a value — <see cref="TieredKvStore.TryGetAsync"/> (a 16-byte
/// <see cref="BlockRead"/> in a <c>ValueTask</c>), the <c>TryGet</c> overload with a <see cref="BlockMiss"/> and
/// <see cref="TieredKvStore.ReadBatchAsync"/> — against the plain synchronous <c>TryGet</c> and a plain copy of the same
/// bytes (the baseline), on hits of 16 KiB DRAM blocks and on misses of keys never put.
/// </summary>
/// <remarks>
/// Session 29 added the miss cause (<see cref="BlockRead.Miss"/>, 12 → 16 bytes) and the overload; this measures what
/// they cost a caller on the paths that do not need the cause (hits) and on the path that does (misses).
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AsyncReadBenchmarks
{
    private const int Blocks = 64;
    private const int BlockBytes = 16 * 1024;
    private TieredKvStore _store = null!;
    private BlockKey[] _keys = null!;
    private BlockKey[] _absent = null!;
    private byte[] _destination = null!;
    private byte[] _batchDestination = null!;
    private BlockRead[] _results = null!;
    private byte[] _slab = null!; // the baseline's own 64 blocks, so it streams from memory as the store does

    [GlobalSetup]
    public void Setup()
    {
        var layout = new KvLayout("bench", 1, 1, BlockBytes / 4, 2, 1); // a layout whose block is exactly 16 KiB
        var options = new KvStoreOptions { Layout = layout };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Blocks + 1));
        _store = new TieredKvStore(options);
        var payload = new byte[BlockBytes];
        new Random(1).NextBytes(payload);
        _keys = new BlockKey[Blocks];
        _absent = new BlockKey[Blocks];
        _slab = GC.AllocateUninitializedArray<byte>(Blocks * BlockBytes, pinned: true);
        for (int i = 0; i < Blocks; i++)
        {
            _keys[i] = new BlockKey((ulong)i + 1, 7);
            _absent[i] = new BlockKey((ulong)i + 1, 8);
            _store.Put(_keys[i], BlockKey.Empty, payload);
            payload.CopyTo(_slab.AsSpan(i * BlockBytes, BlockBytes));
        }

        _destination = new byte[BlockBytes];
        _batchDestination = new byte[Blocks * BlockBytes];
        _results = new BlockRead[Blocks];
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public int Memcpy()
    {
        for (int i = 0; i < Blocks; i++)
        {
            _slab.AsSpan(i * BlockBytes, BlockBytes).CopyTo(_destination);
        }

        return _destination[0];
    }

    /// <summary>The same copies into a batch's buffer: each block into its own 16 KiB of 1 MiB, as a batch writes them.</summary>
    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public int MemcpyIntoBatchBuffer()
    {
        for (int i = 0; i < Blocks; i++)
        {
            _slab.AsSpan(i * BlockBytes, BlockBytes).CopyTo(_batchDestination.AsSpan(i * BlockBytes, BlockBytes));
        }

        return _batchDestination[0];
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public int TryGet()
    {
        int found = 0;
        foreach (BlockKey key in _keys)
        {
            found += _store.TryGet(key, _destination, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public int TryGetWithCause()
    {
        int found = 0;
        foreach (BlockKey key in _keys)
        {
            found += _store.TryGet(key, _destination, out _, out _, out BlockMiss _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public async Task<int> TryGetAsync()
    {
        int found = 0;
        foreach (BlockKey key in _keys)
        {
            BlockRead read = await _store.TryGetAsync(key, _destination).ConfigureAwait(false);
            found += read.Found ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Hit")]
    public Task<int> ReadBatchAsync() => _store.ReadBatchAsync(_keys, _batchDestination, _results);

    [Benchmark(Baseline = true, OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Miss")]
    public int TryGetMiss()
    {
        int found = 0;
        foreach (BlockKey key in _absent)
        {
            found += _store.TryGet(key, _destination, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Miss")]
    public int TryGetMissWithCause()
    {
        int notResident = 0;
        foreach (BlockKey key in _absent)
        {
            _store.TryGet(key, _destination, out _, out _, out BlockMiss miss);
            notResident += miss == BlockMiss.NotResident ? 1 : 0;
        }

        return notResident;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    [BenchmarkCategory("Miss")]
    public async Task<int> TryGetAsyncMiss()
    {
        int notResident = 0;
        foreach (BlockKey key in _absent)
        {
            BlockRead read = await _store.TryGetAsync(key, _destination).ConfigureAwait(false);
            notResident += read.Miss == BlockMiss.NotResident ? 1 : 0;
        }

        return notResident;
    }
}
