namespace KvTiering.Blocks;

/// <summary>
/// Published models whose shape the KV layout and the cost model need. Every number is copied from the model's
/// config.json on Hugging Face; parameter counts are the config arithmetic (docs/models.md shows both).
/// </summary>
public static class ModelPresets
{
    /// <summary>
    /// Llama 3.1 8B: 32 layers, hidden 4096, 32 heads, 8 KV heads, head dim 128 (131,072 KV bytes per token at BF16).
    /// </summary>
    /// <remarks>Source: https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json.</remarks>
    public static ModelPreset Llama31_8B { get; } =
        new("llama-3.1-8b", "Llama 3.1 8B", 8_030_261_248, hiddenSize: 4096, attentionHeads: 32, layers: 32, kvHeads: 8, headDim: 128);

    /// <summary>
    /// Llama 3.1 70B: 80 layers, hidden 8192, 64 heads, 8 KV heads, head dim 128 (327,680 KV bytes per token at BF16).
    /// </summary>
    /// <remarks>Source: https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json.</remarks>
    public static ModelPreset Llama31_70B { get; } =
        new("llama-3.1-70b", "Llama 3.1 70B", 70_553_706_496, hiddenSize: 8192, attentionHeads: 64, layers: 80, kvHeads: 8, headDim: 128);

    /// <summary>
    /// Llama 3.1 405B: 126 layers, hidden 16384, 128 heads, 8 KV heads, head dim 128 (516,096 KV bytes per token at
    /// BF16).
    /// </summary>
    /// <remarks>Source: https://huggingface.co/meta-llama/Llama-3.1-405B/blob/main/config.json.</remarks>
    public static ModelPreset Llama31_405B { get; } =
        new("llama-3.1-405b", "Llama 3.1 405B", 405_853_388_800, hiddenSize: 16384, attentionHeads: 128, layers: 126, kvHeads: 8, headDim: 128);

    /// <summary>
    /// Qwen2.5 7B: 28 layers, hidden 3584, 28 heads, 4 KV heads, head dim 128 (57,344 KV bytes per token at BF16).
    /// </summary>
    /// <remarks>Source: https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json.</remarks>
    public static ModelPreset Qwen25_7B { get; } =
        new("qwen2.5-7b", "Qwen2.5 7B", 7_615_616_512, hiddenSize: 3584, attentionHeads: 28, layers: 28, kvHeads: 4, headDim: 128);

    /// <summary>
    /// Mistral 7B (v0.1): 32 layers, hidden 4096, 32 heads, 8 KV heads, head dim 128 (131,072 KV bytes per token at
    /// BF16).
    /// </summary>
    /// <remarks>
    /// Source: https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json. Its 4,096-token sliding window
    /// caps the cache a serving engine must keep; the per-token size is unchanged.
    /// </remarks>
    public static ModelPreset Mistral7B { get; } =
        new("mistral-7b", "Mistral 7B", 7_241_732_096, hiddenSize: 4096, attentionHeads: 32, layers: 32, kvHeads: 8, headDim: 128);

    /// <summary>Every preset, smallest KV footprint first.</summary>
    public static IReadOnlyList<ModelPreset> All { get; } =
        [Qwen25_7B, Mistral7B, Llama31_8B, Llama31_70B, Llama31_405B];

    /// <summary>The preset named <paramref name="name"/> (case-insensitive), e.g. "llama-3.1-8b".</summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists the valid names.</exception>
    public static ModelPreset FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim();
        foreach (ModelPreset preset in All)
        {
            if (string.Equals(preset.Name, key, StringComparison.OrdinalIgnoreCase))
            {
                return preset;
            }
        }

        throw UnknownName(name);
    }

    private static ArgumentException UnknownName(string name) =>
        new($"Unknown model '{name}'. Valid names: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));
}
