namespace KvTiering.Blocks;

/// <summary>
/// The shape of one model's KV cache: how many bytes one block of tokens occupies.
/// Bytes per block = 2 (K and V) × layers × KV heads × head dim × element bytes × tokens per block.
/// </summary>
public sealed record KvLayout
{
    /// <summary>Creates a layout, validating every dimension.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is zero or negative.</exception>
    public KvLayout(string modelId, int layers, int kvHeads, int headDim, int elementBytes, int tokensPerBlock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerBlock);
        long bytes = 2L * layers * kvHeads * headDim * elementBytes * tokensPerBlock;
        if (bytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(tokensPerBlock), tokensPerBlock,
                $"A block of {bytes} bytes exceeds the 2 GiB block limit.");
        }

        ModelId = modelId;
        Layers = layers;
        KvHeads = kvHeads;
        HeadDim = headDim;
        ElementBytes = elementBytes;
        TokensPerBlock = tokensPerBlock;
    }

    /// <summary>The model this layout belongs to; part of the key namespace.</summary>
    public string ModelId { get; }

    /// <summary>Transformer layers.</summary>
    public int Layers { get; }

    /// <summary>Key/value heads per layer (fewer than query heads under grouped-query attention).</summary>
    public int KvHeads { get; }

    /// <summary>Dimension of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Bytes per element (2 for FP16/BF16, 1 for FP8).</summary>
    public int ElementBytes { get; }

    /// <summary>Tokens in one block; only full blocks get keys.</summary>
    public int TokensPerBlock { get; }

    /// <summary>KV bytes for one token across all layers.</summary>
    public long BytesPerToken => 2L * Layers * KvHeads * HeadDim * ElementBytes;

    /// <summary>KV bytes for one full block.</summary>
    public int BytesPerBlock => (int)(BytesPerToken * TokensPerBlock);

    /// <summary>The same model with another block size.</summary>
    public KvLayout WithTokensPerBlock(int tokensPerBlock) =>
        new(ModelId, Layers, KvHeads, HeadDim, ElementBytes, tokensPerBlock);
}
