// Last run (2026-11-27, 2-core Zen 4 EPYC shared with other work, .NET 10.0.12, --job short --inProcess
// --iterationCount 15; docs/benchmarks-io-notes.md). Copy-free XXH3-128 of (parent ‖ tokens); the raw baseline's
// mean carries outliers from the shared machine, so compare medians:
// | Method       | TokensPerBlock | Mean      | Median   | throughput vs raw (medians) |
// | RawXxHash128 | 16             | 143.34 us | 83.79 us |       |
// | BlockKeys    | 16             |  74.53 us | 73.93 us | 1.13x |
// | RawXxHash128 | 64             |  66.99 us | 66.43 us |       |
// | BlockKeys    | 64             |  36.51 us | 36.44 us | 1.82x |
// | RawXxHash128 | 512            |  19.36 us | 18.66 us |       |
// | BlockKeys    | 512            |  14.90 us | 15.33 us | 1.22x |
// Minimum of 300 alternated calls, the steadier measure under load: 0.94x (16), 1.33-1.87x (64), 1.12-1.28x (512);
// before this change 0.46x, 0.77-0.80x, 0.59-0.63x.

using System.IO.Hashing;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using KvTiering.Blocks;

namespace KvTiering.Benchmarks;

/// <summary>Chained block keys for 128K tokens against one-shot XxHash128 over the same token bytes.</summary>
[MemoryDiagnoser]
public class HashingBenchmarks
{
    private const int Tokens = 128 * 1024;
    private int[] _tokens = null!;
    private BlockKey[] _keys = null!;
    private BlockHasher _hasher = null!;

    [Params(16, 64, 512)]
    public int TokensPerBlock { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _tokens = new int[Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            _tokens[i] = rng.Next(128_256);
        }

        _hasher = new BlockHasher(new KvLayout("llama-3.1-8b", 32, 8, 128, 2, TokensPerBlock));
        _keys = new BlockKey[Tokens / TokensPerBlock];
    }

    [Benchmark(Baseline = true)]
    public UInt128 RawXxHash128()
    {
        // The same bytes, hashed block by block with no chaining: the floor for any chained scheme.
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(_tokens.AsSpan());
        int blockBytes = TokensPerBlock * sizeof(int);
        UInt128 last = 0;
        for (int offset = 0; offset < bytes.Length; offset += blockBytes)
        {
            last = XxHash128.HashToUInt128(bytes.Slice(offset, blockBytes));
        }

        return last;
    }

    [Benchmark]
    public int BlockKeys() => _hasher.ComputeKeys(_tokens, _keys);

    /// <summary>The hand-written copy-free XXH3-128 path alone (what BlockKeys took for every size before session 5).</summary>
    [Benchmark]
    public int BlockKeysFused()
    {
        int count = Tokens / TokensPerBlock;
        BlockHasher.ComputeKeysFused(_hasher.Root, MemoryMarshal.AsBytes(_tokens.AsSpan()), TokensPerBlock * sizeof(int),
            _keys, count);
        return count;
    }

    /// <summary>System.IO.Hashing's one-shot XxHash128 over (parent ‖ tokens) assembled in a stack buffer.</summary>
    [Benchmark]
    public int BlockKeysLibrary()
    {
        int count = Tokens / TokensPerBlock;
        BlockHasher.ComputeKeysCopying(_hasher.Root, _tokens, _keys, count, TokensPerBlock);
        return count;
    }
}
