// Results and their ratios to issue #20's goals (20 M block references/s for lru/fifo/clock/sieve, 10 M for
// arc/s3fifo/belady, 5 M for agent) live in docs/benchmarks.md ("ReplayBenchmarks"), with the command that ran them.

using BenchmarkDotNet.Attributes;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Benchmarks;

/// <summary>
/// Harness replay throughput per policy on the Mooncake conversation trace from ../shared/traces, at 5% of unique
/// blocks. <see cref="Replay"/> times what issue #20 item 6 names, block references replayed per second: one
/// invocation replays the whole trace (288,500 block references) through a store built beforehand, the very loop
/// <c>simulate</c>'s <c>elapsed_seconds</c> times (references/s = 288,500 ÷ mean time). <see cref="Construct"/> times
/// what the replay leaves out: building that store (the policy's arrays, their pre-faulting) and disposing it.
/// </summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private Trace _trace = null!;
    private NextUseIndex _oracle = null!;
    private PreparedReplay? _prepared;

    [Params("lru", "fifo", "clock", "sieve", "s3fifo", "arc", "agent", "belady")]
    public string Policy { get; set; } = "lru";

    /// <summary>Loads the trace and its oracle, then warms the replay's code (<see cref="WarmUp"/>).</summary>
    [GlobalSetup(Target = nameof(Replay))]
    public void SetupReplay()
    {
        SetupConstruct();
        WarmUp();
    }

    /// <summary>Loads the trace and its oracle (BenchmarkDotNet's pilot stage warms <see cref="Construct"/>).</summary>
    [GlobalSetup(Target = nameof(Construct))]
    public void SetupConstruct()
    {
        string path = Path.Combine(TraceRoot(), "mooncake", "conversation_trace.jsonl");
        _trace = TraceLoader.Load(path, TraceFormat.Mooncake);
        _oracle = NextUseIndex.Build(_trace);
    }

    /// <summary>Builds the store of the next timed replay (untimed; BenchmarkDotNet collects garbage after it).</summary>
    [IterationSetup(Target = nameof(Replay))]
    public void BuildStore() => _prepared = PreparedReplay.Prepare(_trace, Options(), _oracle);

    /// <summary>One replay of the whole trace through the store <see cref="BuildStore"/> built.</summary>
    [Benchmark]
    public double Replay() => _prepared!.Execute().TokenHitRate;

    /// <summary>Disposes the replayed store (untimed).</summary>
    [IterationCleanup(Target = nameof(Replay))]
    public void DisposeStore()
    {
        _prepared?.Dispose();
        _prepared = null;
    }

    /// <summary>What <see cref="Replay"/> leaves out: one replay's store built and disposed, nothing replayed.</summary>
    [Benchmark]
    public int Construct()
    {
        using PreparedReplay prepared = PreparedReplay.Prepare(_trace, Options(), _oracle);
        return prepared.GetHashCode();
    }

    /// <summary>
    /// Replays the trace, untimed, for at least a second and eight replays, so the policy's code (struct generics,
    /// compiled per policy) is tier-1 before BenchmarkDotNet's own warmup: <see cref="Replay"/> runs one invocation
    /// per iteration, and tiered compilation promotes code only after 30 calls and a 100 ms quiet period, so a
    /// warmup of two iterations left tier-0 replays in the measured ones (lru 30–70 ms against 15, session 18's bench19 lane).
    /// </summary>
    private void WarmUp()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 8 || clock.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            using PreparedReplay prepared = PreparedReplay.Prepare(_trace, Options(), _oracle);
            prepared.Execute();
        }
    }

    private ReplayOptions Options() =>
        new() { Policy = EvictionPolicies.FromName(Policy), CapacityBlocks = _trace.UniqueBlocks / 20 };

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
