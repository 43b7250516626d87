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

    /// <summary>
    /// Whether the S3-FIFO shadow learns its small queue as rule 11's default does (cap 0.5 of the tier, behind a
    /// request-size gate of 1/50; session 15), else S3-FIFO's fixed tenth (the shadow before session 15).
    /// </summary>
    [Params(false, true)]
    public bool Learned { get; set; }

    /// <summary>
    /// 1: every reference at the full capacity; R &gt; 1: a spatially hashed 1-in-R sample of the keys at 1/R of the
    /// capacity, as the pool samples them (only the sampled references reach the shadows; the hash test is timed).
    /// </summary>
    [Params(1, 4)]
    public int SampleRate { get; set; } = 1;

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
        uint rate = (uint)SampleRate;
        int capacity = Math.Max(1, _capacity / SampleRate);
        RequestSizeGate? gate = Learned ? new RequestSizeGate(_capacity, ratio: 50) : null;
        ArcShadow? arc = Shadows is "arc" or "both" ? new ArcShadow(capacity, wholeSteps: false) : null;
        S3FifoShadow? fifo = Shadows is "s3fifo" or "both" ? new S3FifoShadow(capacity, Learned ? 0.5 : 0, gate) : null;
        BlockKey[] keys = _keys;
        int[] depths = _depths;
        for (int i = 0; i < keys.Length; i++)
        {
            // The gate reads every reference (the pool's does); the shadows only the sampled ones.
            gate?.Reference(depths[i]);
            if (rate > 1 && (uint)((keys[i].Low * 0x9E3779B97F4A7C15UL) >> 40) % rate != 0)
            {
                continue;
            }

            arc?.Reference(keys[i], depths[i]);
            fifo?.Reference(keys[i], depths[i]);
        }

        return (arc?.Hits ?? 0) + (fifo?.Hits ?? 0);
    }
}
