namespace KvTiering.Blocks;

/// <summary>
/// The shape of one published decoder-only transformer: enough to size its KV cache and to count the FLOPs of
/// recomputing it. The presets in <see cref="ModelPresets"/> copy their numbers from each model's published
/// config.json (see docs/models.md).
/// </summary>
public sealed record ModelPreset
{
    /// <summary>Creates a preset, validating every dimension.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not lower-case kebab form, or a name is blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is zero or negative, or the heads do not group evenly.</exception>
    public ModelPreset(string name, string displayName, long parameterCount, int hiddenSize, int attentionHeads,
        int layers, int kvHeads, int headDim)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        if (!IsKebab(name))
        {
            ThrowHelper.ThrowArgument(nameof(name),
                $"Model name '{name}' must be lower-case kebab form (a-z, 0-9, '.', '-'), e.g. 'llama-3.1-8b'.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attentionHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        if (kvHeads > attentionHeads || attentionHeads % kvHeads != 0)
        {
            // Grouped-query attention shares each KV head among an equal group of query heads.
            ThrowHelper.ThrowArgumentOutOfRange(nameof(kvHeads), kvHeads,
                $"KV heads {kvHeads} must divide the {attentionHeads} attention heads evenly.");
        }

        Name = name;
        DisplayName = displayName;
        ParameterCount = parameterCount;
        HiddenSize = hiddenSize;
        AttentionHeads = attentionHeads;
        Layers = layers;
        KvHeads = kvHeads;
        HeadDim = headDim;
    }

    /// <summary>Lower-case kebab name, e.g. "llama-3.1-8b"; used as the KV layout's model id.</summary>
    public string Name { get; }

    /// <summary>Human-readable name, e.g. "Llama 3.1 8B".</summary>
    public string DisplayName { get; }

    /// <summary>Total parameters, embeddings and LM head included (config arithmetic; see docs/models.md).</summary>
    public long ParameterCount { get; }

    /// <summary>Width of the residual stream (config.json <c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Query heads per layer (config.json <c>num_attention_heads</c>).</summary>
    public int AttentionHeads { get; }

    /// <summary>Transformer layers (config.json <c>num_hidden_layers</c>).</summary>
    public int Layers { get; }

    /// <summary>Key/value heads per layer (config.json <c>num_key_value_heads</c>).</summary>
    public int KvHeads { get; }

    /// <summary>Dimension of one head (config.json <c>head_dim</c>, else hidden_size ÷ num_attention_heads).</summary>
    public int HeadDim { get; }

    /// <summary>
    /// The KV layout of this model: <paramref name="tokensPerBlock"/> tokens per block, <paramref name="elementBytes"/>
    /// bytes per element (2 for BF16/FP16, 1 for FP8).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative, or a block exceeds 2 GiB.</exception>
    public KvLayout Layout(int tokensPerBlock = 16, int elementBytes = 2) =>
        new(Name, Layers, KvHeads, HeadDim, elementBytes, tokensPerBlock);

    private static bool IsKebab(string name)
    {
        if (name[0] == '-' || name[^1] == '-')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || c == '.'))
            {
                return false;
            }
        }

        return true;
    }
}
