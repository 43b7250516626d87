using System.Globalization;
using KvTiering.LLamaSharp.Gguf;

namespace KvTiering.LLamaSharp;

/// <summary>
/// A llama-architecture model with seeded random weights, written as a GGUF file llama.cpp loads: no download, the
/// same bytes for the same settings. Its outputs are meaningless, but its compute and its KV cache are a real
/// model's, so it measures prefill and exercises state save/restore honestly.
/// </summary>
/// <remarks>
/// Norm weights are always F32 (llama.cpp aborts the process on an F16 norm); matrices are F32 or F16. The vocabulary
/// is a minimal SentencePiece one (unknown, BOS, EOS, 256 byte tokens, then placeholders): llama.cpp requires
/// tokenizer metadata even when it is fed token ids.
/// </remarks>
public sealed record SyntheticLlamaModel
{
    private const int SpecialTokens = 3 + 256;

    /// <summary>A ~1.4M-parameter model with F32 matrices for tests: 4 layers, width 128, 2 KV heads, vocabulary 2,048.</summary>
    public static SyntheticLlamaModel Tiny { get; } = new()
    {
        Name = "kvtiering-synthetic-tiny",
        VocabularySize = 2048,
        EmbeddingLength = 128,
        Layers = 4,
        HeadCount = 4,
        KvHeadCount = 2,
        FeedForwardLength = 448,
        ContextLength = 4096,
        HalfPrecisionMatrices = false,
    };

    /// <summary>
    /// A ~90M-parameter model with F16 matrices for samples and benchmarks: 20 layers, width 512, 8 heads of 64 sharing
    /// 2 KV heads, vocabulary 32,000; prefill costs real time on a CPU.
    /// </summary>
    public static SyntheticLlamaModel Sample { get; } = new()
    {
        Name = "kvtiering-synthetic-90m",
        VocabularySize = 32000,
        EmbeddingLength = 512,
        Layers = 20,
        HeadCount = 8,
        KvHeadCount = 2,
        FeedForwardLength = 1408,
        ContextLength = 16384,
        HalfPrecisionMatrices = true,
    };

    /// <summary>The model's name (GGUF <c>general.name</c>); part of the file name <see cref="EnsureGguf"/> picks.</summary>
    public string Name { get; init; } = "kvtiering-synthetic";

    /// <summary>Tokens in the vocabulary; at least 260 (three specials and 256 byte tokens come first).</summary>
    public int VocabularySize { get; init; } = 2048;

    /// <summary>Width of the residual stream.</summary>
    public int EmbeddingLength { get; init; } = 128;

    /// <summary>Transformer layers.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Query heads per layer; must divide <see cref="EmbeddingLength"/>.</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>Key/value heads per layer; must divide <see cref="HeadCount"/>.</summary>
    public int KvHeadCount { get; init; } = 2;

    /// <summary>Width of the feed-forward layer.</summary>
    public int FeedForwardLength { get; init; } = 384;

    /// <summary>The trained context length the file declares.</summary>
    public int ContextLength { get; init; } = 4096;

    /// <summary>Store matrices as F16 (true) or F32 (false). Norms are F32 either way.</summary>
    public bool HalfPrecisionMatrices { get; init; }

    /// <summary>Seed of the weights.</summary>
    public ulong Seed { get; init; } = 0x4B76546965724C4CUL;

    /// <summary>Dimension of one attention head.</summary>
    public int HeadDim => EmbeddingLength / Math.Max(1, HeadCount);

    /// <summary>Total parameters: embeddings, output head, norms and every layer's matrices.</summary>
    public long ParameterCount
    {
        get
        {
            long d = EmbeddingLength;
            long kv = (long)KvHeadCount * HeadDim;
            long perLayer = (2 * d * d) + (2 * d * kv) + (3 * d * FeedForwardLength) + (2 * d);
            return (2 * d * VocabularySize) + d + (Layers * perLayer);
        }
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> (through a temporary file, so a reader never sees half a model).
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is out of range or the heads do not divide evenly.</exception>
    public void WriteGguf(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Validate();
        SyntheticLlamaGguf.Build(this).Write(path);
    }

    /// <summary>
    /// Returns the path of this model's GGUF file in <paramref name="directory"/>, writing it first when it is not
    /// there yet. The file name encodes every setting, so a changed model never reuses a stale file.
    /// </summary>
    public string EnsureGguf(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Validate();
        Directory.CreateDirectory(directory);
        string file = string.Create(CultureInfo.InvariantCulture,
            $"{Name}-v{VocabularySize}-d{EmbeddingLength}-l{Layers}-h{HeadCount}-kv{KvHeadCount}-ff{FeedForwardLength}-c{ContextLength}-{(HalfPrecisionMatrices ? "f16" : "f32")}-s{Seed:x16}.gguf");
        string path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            WriteGguf(path);
        }

        return path;
    }

    private void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if (VocabularySize < SpecialTokens + 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(VocabularySize), VocabularySize,
                $"Vocabulary size {VocabularySize} must exceed the {SpecialTokens} special and byte tokens.");
        }

        Positive(EmbeddingLength, nameof(EmbeddingLength));
        Positive(Layers, nameof(Layers));
        Positive(HeadCount, nameof(HeadCount));
        Positive(KvHeadCount, nameof(KvHeadCount));
        Positive(FeedForwardLength, nameof(FeedForwardLength));
        Positive(ContextLength, nameof(ContextLength));
        if (EmbeddingLength % HeadCount != 0 || HeadDim % 2 != 0)
        {
            ThrowHelper.ThrowArgument(nameof(HeadCount),
                $"Head count {HeadCount} must divide embedding length {EmbeddingLength} into an even head dimension.");
        }

        if (HeadCount % KvHeadCount != 0)
        {
            ThrowHelper.ThrowArgument(nameof(KvHeadCount),
                $"KV head count {KvHeadCount} must divide head count {HeadCount} evenly.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} {value} must be positive.");
        }
    }
}
