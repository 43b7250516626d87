// Last run (2026-11-27, 2-core EPYC 2.6 GHz, .NET 10.0.12, --job short; docs/benchmarks.md):
// | Method       | TokensPerBlock | Mean     | Ratio |
// | RawXxHash128 | 16             | 89.9 us  | 1.06  |
// | BlockKeys    | 16             | 189.5 us | 2.23  |
// | RawXxHash128 | 64             | 64.9 us  | 1.01  |
// | BlockKeys    | 64             | 165.2 us | 2.56  |
// | RawXxHash128 | 512            | 43.9 us  | 1.00  |
// | BlockKeys    | 512            | 67.5 us  | 1.54  |

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
}
