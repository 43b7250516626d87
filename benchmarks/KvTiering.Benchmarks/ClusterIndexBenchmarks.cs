// Last run (2026-12-07 07:24 UTC, main 3cc5d74, 2-core EPYC, --job short --inProcess --iterationCount 5;
// docs/benchmarks.md, "ClusterIndexBenchmarks"): shared: scan 3,140 us, index 222 us (0.07x); random: scan 16,078 us,
// index 861 us (0.05x). (2026-12-04: 1,178 / 135 us and 15,556 / 774 us.)

using BenchmarkDotNet.Attributes;
using KvTiering.Events;
using KvTiering.KvEvents;

namespace KvTiering.Benchmarks;

/// <summary>
/// <see cref="ClusterPrefixIndex.Match"/> for a 16,384-token prompt (1,024 blocks of 16 tokens) over 1,000 instances,
/// against the baseline a router without the index would run: per instance, walk the prompt's blocks through a hash set
/// of what the instance holds. Two fleets: "shared" — every instance holds the prompt's first 64 blocks (a 1K-token
/// system prompt) and 10 instances hold all of it, half offloaded to CPU; "random" — each instance holds a prefix of
/// uniformly random length (the worst case for any exact index: about 512,000 (block, instance) pairs match).
/// Every instance also holds 1,000 blocks of other prompts.
/// </summary>
[MemoryDiagnoser]
public class ClusterIndexBenchmarks
{
    private const int Instances = 1_000, PromptBlocks = 16_384 / 16, OtherBlocks = 1_000;
    private readonly PrefixOverlap[] _result = new PrefixOverlap[Instances];
    private ClusterPrefixIndex _index = null!;
    private HashSet<ulong>[] _held = null!;
    private ulong[] _prompt = null!;

    [Params("shared", "random")]
    public string Fleet { get; set; } = "shared";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(16_384);
        _prompt = [.. Enumerable.Range(0, PromptBlocks).Select(_ => (ulong)rng.NextInt64())];
        _index = new ClusterPrefixIndex();
        _held = new HashSet<ulong>[Instances];
        for (int i = 0; i < Instances; i++)
        {
            int id = _index.AddInstance($"vllm-{i}");
            int prefix = Fleet == "shared" ? (i % 100 == 0 ? PromptBlocks : 64) : rng.Next(0, PromptBlocks + 1);
            ulong[] gpu = _prompt[..Math.Min(prefix, PromptBlocks / 2)];
            ulong[] cpu = _prompt[gpu.Length..prefix];
            ulong[] other = [.. Enumerable.Range(0, OtherBlocks).Select(_ => (ulong)rng.NextInt64())];
            _index.Apply(id, new VllmEventBatch(0,
            [
                new VllmKvEvent(KvEventKind.Stored, gpu, null, [], 16, null, KvEventMedium.Gpu),
                new VllmKvEvent(KvEventKind.Stored, cpu, gpu.Length > 0 ? gpu[^1] : null, [], 16, null, KvEventMedium.Cpu),
                new VllmKvEvent(KvEventKind.Stored, other, null, [], 16, null, KvEventMedium.Gpu),
            ]));
            _held[i] = [.. gpu, .. cpu, .. other];
        }
    }

    [Benchmark(Baseline = true)]
    public int PerInstanceScan()
    {
        int best = 0;
        foreach (HashSet<ulong> held in _held)
        {
            int n = 0;
            while (n < _prompt.Length && held.Contains(_prompt[n]))
            {
                n++;
            }

            best = Math.Max(best, n);
        }

        return best;
    }

    [Benchmark]
    public int IndexMatch()
    {
        int n = _index.Match(_prompt, _result);
        return n == 0 ? 0 : _result[0].Blocks;
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();
}
