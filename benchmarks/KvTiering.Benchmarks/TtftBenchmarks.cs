using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using LLama;
using LLama.Common;
using LLama.Native;

namespace KvTiering.Benchmarks;

/// <summary>
/// Time to first token of an N-token prompt on a real llama.cpp engine (LLamaSharp, CPU) running the synthetic
/// ~90M-parameter model: prefilling all N tokens against restoring the prompt's sequence state from a KvTiering
/// store — DRAM tier or flash tier — and prefilling the last two tokens. Each operation ends with the next token's
/// logits in hand. Prefill costs seconds per thousand tokens here, so each case runs a few single invocations.
/// </summary>
/// <remarks>
/// The flash tier is a real file read through the OS page cache (the snapshot was just written or read), so it shows
/// the store's cost — header and payload checksums, copies — more than the device's. Snapshots persist in a temp
/// directory between benchmark processes, so only the first process per N pays the prefill that creates them.
/// </remarks>
[Config(typeof(TtftConfig))]
public class TtftBenchmarks
{
    private static readonly LLamaSeqId Seq = LLamaSeqId.Zero;
    private LLamaWeights _weights = null!;
    private LLamaContext _context = null!;
    private LLamaToken[] _prompt = null!;
    private string _modelPath = null!;
    private TieredKvStore? _dram;
    private TieredKvStore? _flash;
    private LlamaPrefixCache? _dramCache;
    private LlamaPrefixCache? _flashCache;

    [ParamsSource(nameof(TokenCounts))]
    public int Tokens { get; set; }

    /// <summary>512, 2,000 and 8,000 tokens; only 512 when KVT_BENCH_QUICK=1 (the CI dry run, which checks that it runs).</summary>
    public static IEnumerable<int> TokenCounts =>
        Environment.GetEnvironmentVariable("KVT_BENCH_QUICK") == "1" ? [512] : [512, 2000, 8000];

    private static int s_nativeConfigured;

    [GlobalSetup(Target = nameof(Prefill))]
    public void SetupPrefill() => LoadModel();

    [GlobalSetup(Targets = [nameof(RestoreFromDram), nameof(RestoreFromFlash)])]
    public void SetupRestore()
    {
        LoadModel();
        KvLayout layout = LlamaKvLayout.FromModel(_weights, tokensPerBlock: 16);
        var hasher = new BlockHasher(layout);
        // Room for the snapshot (state plus token ids and cell metadata per token), its waypoints, and slack.
        int blocks = (int)(2 * (long)Tokens * (layout.BytesPerToken + 64) / layout.BytesPerBlock) + 64;

        // Flash first: it may hold the snapshot from an earlier process; if not, one prefill creates it.
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-ttft-bench",
            $"{Path.GetFileNameWithoutExtension(_modelPath)}-{Tokens}-{blocks}");
        Directory.CreateDirectory(directory);
        _flash = NewStore(layout, new TierOptions(TierProfiles.Flash, blocks) { Directory = directory });
        _flashCache = new LlamaPrefixCache(_flash, hasher);
        if (!_flashCache.RestoreAsync(_context, Seq, _prompt).GetAwaiter().GetResult().IsHit) // BenchmarkDotNet's setup is synchronous
        {
            LlamaPrefill.Prefill(_context.NativeHandle, Seq, _prompt, 0);
            Expect(_flashCache.Save(_context, Seq, _prompt).Outcome == SaveOutcome.Stored, "flash save");
            Expect(_flashCache.RestoreAsync(_context, Seq, _prompt).GetAwaiter().GetResult().IsHit, "flash restore");
        }

        // The DRAM store gets the same state, copied through the context: no second prefill.
        LlamaPrefill.Prefill(_context.NativeHandle, Seq, _prompt.AsSpan(Tokens - 2), Tokens - 2);
        _dram = NewStore(layout, new TierOptions(TierProfiles.Dram, blocks));
        _dramCache = new LlamaPrefixCache(_dram, hasher);
        Expect(_dramCache.Save(_context, Seq, _prompt).Outcome == SaveOutcome.Stored, "DRAM save");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _context.Dispose();
        _weights.Dispose();
        _dram?.Dispose();
        _flash?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float Prefill()
    {
        _context.NativeHandle.MemorySequenceRemove(Seq, -1, -1);
        return LlamaPrefill.Prefill(_context.NativeHandle, Seq, _prompt, 0)[0];
    }

    [Benchmark]
    public Task<float> RestoreFromDram() => RestoreAndFinishAsync(_dramCache!);

    [Benchmark]
    public Task<float> RestoreFromFlash() => RestoreAndFinishAsync(_flashCache!);

    private async Task<float> RestoreAndFinishAsync(LlamaPrefixCache cache)
    {
        PrefixRestore restore = await cache.RestoreAsync(_context, Seq, _prompt);
        Expect(restore.RestoredTokens == Tokens - 2, "restore of the whole snapshot");
        return LlamaPrefill.Prefill(_context.NativeHandle, Seq, _prompt.AsSpan(restore.RestoredTokens), restore.RestoredTokens)[0];
    }

    private void LoadModel()
    {
        // The native library takes its configuration once per process (in-process toolchains run many cases in one).
        if (Interlocked.Exchange(ref s_nativeConfigured, 1) == 0)
        {
            NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });
        }

        _modelPath = SyntheticLlamaModel.Sample.EnsureGguf(Path.Combine(Path.GetTempPath(), "kvtiering-models"));
        var parameters = new ModelParams(_modelPath)
        {
            ContextSize = (uint)(Tokens + 64),
            BatchSize = 512,
            UBatchSize = 512,
            // One core left free: on a busy two-core machine, two threads made each small decode wait seconds at
            // ggml's barriers (docs/llamasharp.md).
            Threads = Math.Max(1, Environment.ProcessorCount - 1),
            BatchThreads = Math.Max(1, Environment.ProcessorCount - 1),
            GpuLayerCount = 0,
            FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
        var random = new Random(Tokens);
        _prompt = new LLamaToken[Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            _prompt[i] = random.Next(259, SyntheticLlamaModel.Sample.VocabularySize);
        }
    }

    private static TieredKvStore NewStore(KvLayout layout, TierOptions tier)
    {
        var options = new KvStoreOptions { Layout = layout };
        options.Tiers.Add(tier);
        return new TieredKvStore(options);
    }

    /// <summary>
    /// A few single invocations — one prefill of 8,000 tokens takes about a minute on two cores — unless the command
    /// line names a job (<c>--job dry</c>): BenchmarkDotNet would otherwise run that job and this one.
    /// </summary>
    public sealed class TtftConfig : ManualConfig
    {
        public TtftConfig()
        {
            string[] args = Environment.GetCommandLineArgs();
            if (!args.Any(static a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
            {
                AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3));
            }
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"TtftBenchmarks setup: {what} failed.");
        }
    }
}
