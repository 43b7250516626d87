// Results and their ratios to issue #20's goals (20 M block references/s for lru/fifo/clock/sieve, 10 M for
// arc/s3fifo/belady, 5 M for agent) live in docs/benchmarks.md ("ReplayBenchmarks"), with the command that ran them.

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
