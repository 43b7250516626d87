// Last run (2026-11-27, 2-core EPYC 2.6 GHz, .NET 10.0.12, --job short --inProcess --iterationCount 10; docs/benchmarks.md):
// | Policy | Mean    | M refs/s |    | Policy | Mean    | M refs/s |
// | fifo   | 23.5 ms | 12.3     |    | lru    | 30.9 ms | 9.4 (±22%) |
// | sieve  | 24.8 ms | 11.6     |    | s3fifo | 39.0 ms | 7.4      |
// | belady | 25.8 ms | 11.2     |    | arc    | 41.4 ms | 7.0      |
// | clock  | 26.1 ms | 11.0     |    | agent  | 92.4 ms | 3.1      |

using BenchmarkDotNet.Attributes;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Benchmarks;

/// <summary>
/// Harness replay throughput per policy on the Mooncake conversation trace from ../shared/traces, at 5% of unique
/// blocks. One invocation replays the whole trace (288,500 block references); references/s = 288,500 ÷ mean time.
/// </summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private Trace _trace = null!;
    private NextUseIndex _oracle = null!;

    [Params("lru", "fifo", "clock", "sieve", "s3fifo", "arc", "agent", "belady")]
    public string Policy { get; set; } = "lru";

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(TraceRoot(), "mooncake", "conversation_trace.jsonl");
        _trace = TraceLoader.Load(path, TraceFormat.Mooncake);
        _oracle = NextUseIndex.Build(_trace);
    }

    [Benchmark]
    public double Replay() =>
        Replayer.Run(_trace, new ReplayOptions { Policy = EvictionPolicies.FromName(Policy), CapacityBlocks = _trace.UniqueBlocks / 20 }, _oracle)
            .TokenHitRate;

    /// <summary>../shared/traces beside the repository root (the folder holding KvTiering.sln).</summary>
    private static string TraceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvTiering.sln")))
            {
                return Path.Combine(dir.FullName, "..", "shared", "traces");
            }
        }

        return Path.Combine("..", "shared", "traces");
    }
}
