// A multi-turn agent on llama.cpp (LLamaSharp), run twice over the same conversation: once prefilling every prompt
// from scratch, once with KvTiering keeping each turn's sequence state. Between turns the engine's context is
// cleared, as when an agent waits on a tool and its slot serves other sessions; the cached run then restores the
// longest stored prefix (from DRAM or flash) and prefills only the new tokens. Per turn it prints the real
// time-to-first-token of both runs, tokens restored vs prefilled, the tier the snapshot came from, and whether the
// first generated token's logits are bit-identical to the uncached run's. It exits 1 if any differ; its last line
// states the overall time-to-first-token speed-up. The model is a synthetic ~90M-parameter llama written on the spot.
using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using LLama;
using LLama.Common;
using LLama.Native;
using LlamaAgent;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
AgentOptions options = AgentOptions.Parse(args);
NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });

SyntheticLlamaModel spec = options.Tiny ? SyntheticLlamaModel.Tiny : SyntheticLlamaModel.Sample;
var clock = Stopwatch.StartNew();
string modelPath = spec.EnsureGguf(options.ModelDirectory);
Console.WriteLine($"model {spec.Name}: {spec.ParameterCount / 1e6:F1}M parameters, {spec.Layers} layers, " +
    $"{(spec.HalfPrecisionMatrices ? "F16" : "F32")} ({new FileInfo(modelPath).Length / 1048576.0:F0} MiB, ready in {clock.Elapsed.TotalSeconds:F1} s)");

var parameters = new ModelParams(modelPath)
{
    ContextSize = (uint)(options.TotalTokens + 64),
    BatchSize = 512,
    UBatchSize = 512,
    Threads = options.Threads,
    BatchThreads = options.Threads,
    GpuLayerCount = 0,
    FlashAttention = false, // flash attention's CPU kernel varies with batch boundaries; see docs/llamasharp.md
};
using LLamaWeights weights = LLamaWeights.LoadFromFile(parameters);
LLamaSeqId seq = LLamaSeqId.Zero;

// The conversation: the uncached run generates the agent's replies greedily; the cached run replays the same prompts.
var random = new Random(2026);
List<LLamaToken> history = [.. Tokens(random, options.FirstPrompt, spec.VocabularySize)];
var prompts = new LLamaToken[options.Turns][];
var reference = new float[options.Turns][];
var uncachedTtft = new double[options.Turns];
using (LLamaContext context = weights.CreateContext(parameters))
{
    for (int turn = 0; turn < options.Turns; turn++)
    {
        prompts[turn] = [.. history];
        context.NativeHandle.MemoryClear();
        clock.Restart();
        ReadOnlySpan<float> logits = LlamaPrefill.Prefill(context.NativeHandle, seq, prompts[turn], 0);
        uncachedTtft[turn] = clock.Elapsed.TotalSeconds;
        reference[turn] = logits.ToArray();
        history.AddRange(Generate(context, seq, reference[turn], prompts[turn].Length, options.OutputPerTurn));
        history.AddRange(Tokens(random, options.InputPerTurn, spec.VocabularySize));
        Console.WriteLine($"  uncached turn {turn + 1}: {prompts[turn].Length} tokens prefilled in {uncachedTtft[turn]:F2} s");
    }
}

string flashDirectory = Path.Combine(Path.GetTempPath(), "kvtiering-llama-agent-" + Guid.NewGuid().ToString("N"));
KvLayout layout = LlamaKvLayout.FromModel(weights, tokensPerBlock: 16);
var storeOptions = new KvStoreOptions { Layout = layout };
storeOptions.Tiers.Add(new TierOptions(TierProfiles.Dram, options.DramBlocks));
storeOptions.Tiers.Add(new TierOptions(TierProfiles.Flash, options.FlashBlocks) { Directory = flashDirectory });
Console.WriteLine($"store: {layout.TokensPerBlock}-token blocks of {layout.BytesPerBlock / 1024} KiB; " +
    $"DRAM {options.DramBlocks} blocks, flash {options.FlashBlocks} blocks in {flashDirectory}");
Console.WriteLine();
Console.WriteLine("turn  prompt  uncached TTFT  KvTiering TTFT  restored  prefilled  snapshot from  save ms  first-token logits");

int differing = 0;
double cachedTotal = 0;
try
{
    using var store = new TieredKvStore(storeOptions);
    var cache = new LlamaPrefixCache(store, new BlockHasher(layout));
    using LLamaContext context = weights.CreateContext(parameters);
    for (int turn = 0; turn < options.Turns; turn++)
    {
        LLamaToken[] prompt = prompts[turn];
        clock.Restart();
        PrefixRestore restore = await cache.RestoreAsync(context, seq, prompt);
        ReadOnlySpan<float> logits = LlamaPrefill.Prefill(context.NativeHandle, seq, prompt.AsSpan(restore.RestoredTokens), restore.RestoredTokens);
        double ttft = clock.Elapsed.TotalSeconds;
        cachedTotal += ttft;
        bool equal = logits.SequenceEqual(reference[turn]);
        string verdict = equal ? "equal" : $"DIFFER (max |Δ| {MaxDifference(logits, reference[turn]):G3})";
        differing += equal ? 0 : 1;

        // Generate as the agent would, then snapshot the prompt: generated tokens were decoded one at a time, which
        // llama.cpp computes a hair differently from a batch, so they are prefilled again with the next input.
        Generate(context, seq, logits.ToArray(), prompt.Length, options.OutputPerTurn);
        context.NativeHandle.MemorySequenceRemove(seq, prompt.Length, -1);
        clock.Restart();
        SnapshotSave save = cache.Save(context, seq, prompt, session: 1);
        double saveMs = clock.Elapsed.TotalMilliseconds;

        string source = restore.IsHit ? store.TierProfileAt(restore.SourceTier).Name : restore.Outcome.ToString().ToLowerInvariant();
        Console.WriteLine($"{turn + 1,4}  {prompt.Length,6}  {uncachedTtft[turn],11:F2} s  {ttft,12:F2} s  {restore.RestoredTokens,8}  " +
            $"{restore.TokensToPrefill,9}  {source,13}  {saveMs,7:F0}  {verdict}{(save.Outcome == SaveOutcome.Stored ? "" : $" (save {save.Outcome})")}");
    }

    LlamaPrefixCacheStatistics stats = cache.GetStatistics();
    StoreStatistics storeStats = store.GetStatistics();
    Console.WriteLine();
    Console.WriteLine($"cache: {stats.Hits}/{stats.Lookups} restores, {stats.TokensRestored} tokens restored, {stats.TokensToPrefill} prefilled, " +
        $"{stats.CorruptSnapshots} corrupt, {stats.RejectedStates} rejected, {stats.SupersededRemoved} superseded snapshots removed");
    foreach (TierStatistics tier in storeStats.Tiers)
    {
        Console.WriteLine($"tier {tier.Name}: {tier.ResidentBlocks}/{tier.CapacityBlocks} blocks, {tier.BytesWritten / 1048576.0:F0} MiB written, " +
            $"{tier.BytesRead / 1048576.0:F0} MiB read, {tier.Demotions} demotions, {tier.ChecksumFailures} checksum failures");
    }
}
finally
{
    try
    {
        Directory.Delete(flashDirectory, recursive: true);
    }
    catch (IOException)
    {
    }
}

double uncachedTotal = uncachedTtft.Sum();
if (differing > 0)
{
    Console.WriteLine($"{differing} turn(s) produced logits that differ from the uncached run.");
}

Console.WriteLine($"time-to-first-token speed-up with KvTiering: {uncachedTotal / cachedTotal:F2}x " +
    $"({uncachedTotal:F2} s uncached vs {cachedTotal:F2} s over {options.Turns} turns, {(differing == 0 ? "logits bit-identical" : "LOGITS DIFFER")})");
return differing == 0 ? 0 : 1;

static LLamaToken[] Tokens(Random random, int count, int vocabulary)
{
    var tokens = new LLamaToken[count];
    for (int i = 0; i < count; i++)
    {
        tokens[i] = random.Next(259, vocabulary); // past the special and byte tokens
    }

    return tokens;
}

// Greedy decoding, one token at a time from the prompt's last logits.
static List<LLamaToken> Generate(LLamaContext context, LLamaSeqId seq, float[] firstLogits, int position, int count)
{
    var generated = new List<LLamaToken>(count);
    var batch = new LLamaBatch();
    ReadOnlySpan<float> logits = firstLogits;
    for (int i = 0; i < count; i++)
    {
        LLamaToken next = ArgMax(logits);
        generated.Add(next);
        if (i == count - 1)
        {
            break;
        }

        batch.Clear();
        batch.Add(next, position + i, seq, true);
        if (context.NativeHandle.Decode(batch) != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"Decode at position {position + i} failed.");
        }

        logits = context.NativeHandle.GetLogitsIth(0);
    }

    return generated;
}

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        if (values[i] > values[best])
        {
            best = i;
        }
    }

    return best;
}

static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    double max = 0;
    for (int i = 0; i < a.Length; i++)
    {
        max = Math.Max(max, Math.Abs(a[i] - b[i]));
    }

    return max;
}
