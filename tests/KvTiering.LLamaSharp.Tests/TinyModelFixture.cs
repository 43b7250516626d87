using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using LLama;
using LLama.Common;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests;

/// <summary>Writes the tiny synthetic model once per test run and loads it; hands out contexts, stores and prompts.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kvtiering-llama-tests-" + Guid.NewGuid().ToString("N"));

    public TinyModelFixture()
    {
        QuietNativeLog();
        Directory.CreateDirectory(_directory);
        ModelPath = SyntheticLlamaModel.Tiny.EnsureGguf(_directory);
        Parameters = new ModelParams(ModelPath)
        {
            ContextSize = 1024,
            BatchSize = 512,
            UBatchSize = 512,
            Threads = 1,
            BatchThreads = 1,
            GpuLayerCount = 0,
            // Flash attention's CPU kernel depends on how a prompt is split into batches; the classic path does not.
            FlashAttention = false,
        };
        Weights = LLamaWeights.LoadFromFile(Parameters);
        Layout = LlamaKvLayout.FromModel(Weights, tokensPerBlock: 16);
        Hasher = new BlockHasher(Layout);
    }

    public string ModelPath { get; }

    public ModelParams Parameters { get; }

    public LLamaWeights Weights { get; }

    public KvLayout Layout { get; }

    public BlockHasher Hasher { get; }

    public static LLamaSeqId Sequence => LLamaSeqId.Zero;

    public LLamaContext CreateContext() => Weights.CreateContext(Parameters);

    /// <summary>A fresh temp directory, deleted with the fixture.</summary>
    public string NewDirectory()
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A DRAM tier of <paramref name="dramBlocks"/>, then a flash tier in <paramref name="flashDirectory"/> when given.</summary>
    public TieredKvStore NewStore(int dramBlocks, string? flashDirectory = null, int flashBlocks = 256)
    {
        var options = new KvStoreOptions { Layout = Layout };
        if (dramBlocks > 0)
        {
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, dramBlocks));
        }

        if (flashDirectory is not null)
        {
            options.Tiers.Add(new TierOptions(TierProfiles.Flash, flashBlocks)
            {
                Directory = flashDirectory,
                FlashRecoveryVerificationBudget = Timeout.InfiniteTimeSpan, // the persistence tests check what a reopen finds
            });
        }

        return new TieredKvStore(options);
    }

    /// <summary><paramref name="count"/> seeded token ids from the placeholder range of the vocabulary.</summary>
    public static LLamaToken[] Tokens(int seed, int count)
    {
        var random = new Random(seed);
        var tokens = new LLamaToken[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = random.Next(259, SyntheticLlamaModel.Tiny.VocabularySize);
        }

        return tokens;
    }

    /// <summary>The last token's logits after prefilling <paramref name="tokens"/> from scratch in a new context.</summary>
    public float[] Recompute(ReadOnlySpan<LLamaToken> tokens)
    {
        using LLamaContext context = CreateContext();
        return LlamaPrefill.Prefill(context.NativeHandle, Sequence, tokens, 0).ToArray();
    }

    /// <summary>Prefills <paramref name="tokens"/> into the test sequence from scratch and saves them; the save must store.</summary>
    public static SnapshotSave PrefillAndSave(LLamaContext context, LlamaPrefixCache cache, LLamaToken[] tokens)
    {
        context.NativeHandle.MemorySequenceRemove(Sequence, -1, -1);
        LlamaPrefill.Prefill(context.NativeHandle, Sequence, tokens, 0);
        SnapshotSave save = cache.Save(context, Sequence, tokens);
        Assert.Equal(SaveOutcome.Stored, save.Outcome);
        return save;
    }

    /// <summary>
    /// Restores <paramref name="prompt"/> into the cleared test sequence, prefills the rest, and checks the last logits
    /// equal a recompute's: whatever was restored, never a wrong byte.
    /// </summary>
    public async Task<PrefixRestore> RestoreCheckedAsync(LLamaContext context, LlamaPrefixCache cache, LLamaToken[] prompt)
    {
        context.NativeHandle.MemorySequenceRemove(Sequence, -1, -1);
        PrefixRestore restore = await cache.RestoreAsync(context, Sequence, prompt);
        float[] logits = LlamaPrefill.Prefill(context.NativeHandle, Sequence, prompt.AsSpan(restore.RestoredTokens), restore.RestoredTokens)
            .ToArray();
        Assert.Equal(Recompute(prompt), logits);
        return restore;
    }

    public void Dispose()
    {
        Weights.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void QuietNativeLog()
    {
        try
        {
            NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });
        }
        catch (InvalidOperationException)
        {
            // Already loaded by an earlier fixture: its callback stays.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelGroup : ICollectionFixture<TinyModelFixture>
{
    public const string Name = "Tiny llama model";
}
