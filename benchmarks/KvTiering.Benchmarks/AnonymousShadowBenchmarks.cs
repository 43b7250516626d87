// Results and what they say about the agent policy's speed on session-less traffic (issue #20 item 6, 5 M block
// references/s) live in docs/benchmarks.md ("AnonymousShadowBenchmarks"), with the command that ran them.

using BenchmarkDotNet.Attributes;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Benchmarks;

/// <summary>
/// The agent policy's rule 11 shadow caches (<see cref="ArcShadow"/>, <see cref="S3FifoShadow"/>) alone, fed the block
/// references of the Mooncake conversation trace (288,500, every one of no session) at 5% of its unique blocks, the
/// size <see cref="ReplayBenchmarks"/>' agent row gives them: what the shadows cost without the store, the session
/// table and the pool's real orders around them. One invocation builds fresh shadows and replays the whole trace;
/// ns per reference = mean time ÷ 288,500. A replay's times swing ±30% on the team's shared machine; this one does not,
/// so a change to the shadows or their index can be measured here first.
/// </summary>
[MemoryDiagnoser]
public class AnonymousShadowBenchmarks
{
    private BlockKey[] _keys = [];
    private int[] _depths = [];
    private int _capacity;

    /// <summary>Which shadows replay the references: "arc", "s3fifo", or "both" (as rule 11 runs them).</summary>
    [Params("arc", "s3fifo", "both")]
    public string Shadows { get; set; } = "both";

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(BenchPaths.TraceRoot(), "mooncake", "conversation_trace.jsonl");
        Trace trace = TraceLoader.Load(path, TraceFormat.Mooncake);
        _capacity = trace.UniqueBlocks / 20;
        _keys = new BlockKey[trace.BlockIds.Length];
        _depths = new int[trace.BlockIds.Length];
        for (int r = 0; r < trace.RequestCount; r++)
        {
            ReadOnlySpan<int> ids = trace.Blocks(r);
            int start = trace.RequestStart[r];
            for (int i = 0; i < ids.Length; i++)
            {
                _keys[start + i] = new BlockKey((ulong)ids[i] + 1, Replayer.KeyNamespace); // as the replay names blocks
                _depths[start + i] = i;
            }
        }
    }

    /// <summary>Replays every reference into fresh shadows; returns their hits (so nothing is optimized away).</summary>
    [Benchmark]
    public double Replay()
    {
        ArcShadow? arc = Shadows is "arc" or "both" ? new ArcShadow(_capacity, wholeSteps: false) : null;
        S3FifoShadow? fifo = Shadows is "s3fifo" or "both" ? new S3FifoShadow(_capacity) : null;
        BlockKey[] keys = _keys;
        int[] depths = _depths;
        for (int i = 0; i < keys.Length; i++)
        {
            arc?.Reference(keys[i], depths[i]);
            fifo?.Reference(keys[i], depths[i]);
        }

        return (arc?.Hits ?? 0) + (fifo?.Hits ?? 0);
    }
}
