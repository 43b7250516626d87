// Last run (2026-12-04, 2-core EPYC 2.1 GHz, .NET 10.0.12, --job short --inProcess --iterationCount 5 --warmupCount 2,
// under cpu-exclusive; main's store, docs/harness.md "Speed"). Errors up to ±46% (belady; sieve ±35%): a noisy short run.
// | Policy | Mean    | M refs/s |    | Policy | Mean    | M refs/s |
// | sieve  | 30.4 ms | 9.5      |    | clock  | 36.0 ms | 8.0      |
// | belady | 32.8 ms | 8.8      |    | arc    | 38.8 ms | 7.4      |
// | lru    | 33.5 ms | 8.6      |    | s3fifo | 49.5 ms | 5.8      |
// | fifo   | 34.4 ms | 8.4      |    | agent  | 84.0 ms | 3.4      |
// Issue #20's goals (20 M for lru/fifo/clock/sieve, 10 M for arc/s3fifo/belady, 5 M for agent) are not met.

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
