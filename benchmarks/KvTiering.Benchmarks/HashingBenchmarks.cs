// Results and the runs' conditions: docs/benchmarks.md, "HashingBenchmarks". Newest run there (2026-12-05 13:35 UTC,
// /work/bin/cpu-exclusive, --job short --inProcess --iterationCount 10), BlockKeys' throughput vs RawXxHash128:
// 1.07x (16 tokens per block), 1.49x (64), 1.04x (512); 0 B. Session 2's run of 2026-11-27 (1.13x / 1.82x / 1.22x
// on medians under shared load), which this header used to show, is superseded: docs/history/benchmarks.md,
// "Hashing: goal met on a quiet machine".

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

    /// <summary>
    /// System.IO.Hashing's one-shot XxHash128 over (parent ‖ tokens) assembled in a stack buffer: the alternative the
    /// issue proposed to the copy-free path, kept as a row so every run shows which is faster here.
    /// </summary>
    [Benchmark]
    public int BlockKeysLibrary()
    {
        int count = Tokens / TokensPerBlock;
        BlockHasher.ComputeKeysCopying(_hasher.Root, _tokens, _keys, count, TokensPerBlock);
        return count;
    }
}
