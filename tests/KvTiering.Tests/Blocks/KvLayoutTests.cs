using KvTiering.Blocks;

namespace KvTiering.Tests.Blocks;

public sealed class KvLayoutTests
{
    // Bytes per token = 2 (K and V) × layers × KV heads × head dim × 2 bytes (BF16), from each config.json.
    [Theory]
    [InlineData("llama-3.1-8b", 32, 8, 128, 131_072)]
    [InlineData("llama-3.1-70b", 80, 8, 128, 327_680)]
    [InlineData("llama-3.1-405b", 126, 8, 128, 516_096)]
    [InlineData("qwen2.5-7b", 28, 4, 128, 57_344)]
    [InlineData("mistral-7b", 32, 8, 128, 131_072)]
    public void Preset_layout_matches_config_json_at_bf16(string name, int layers, int kvHeads, int headDim, long bytesPerToken)
    {
        ModelPreset preset = ModelPresets.FromName(name);
        Assert.Equal(layers, preset.Layers);
        Assert.Equal(kvHeads, preset.KvHeads);
        Assert.Equal(headDim, preset.HeadDim);

        KvLayout layout = preset.Layout();
        Assert.Equal(name, layout.ModelId);
        Assert.Equal(bytesPerToken, layout.BytesPerToken);
        Assert.Equal(16, layout.TokensPerBlock);
        Assert.Equal(bytesPerToken * 16, layout.BytesPerBlock);
        Assert.Equal(bytesPerToken * 64, preset.Layout(tokensPerBlock: 64).BytesPerBlock);
    }

    [Theory]
    [InlineData("llama-3.1-8b", 4096, 32)]
    [InlineData("llama-3.1-70b", 8192, 64)]
    [InlineData("llama-3.1-405b", 16384, 128)]
    [InlineData("qwen2.5-7b", 3584, 28)]
    [InlineData("mistral-7b", 4096, 32)]
    public void Head_dim_is_hidden_over_heads_for_every_preset(string name, int hidden, int heads)
    {
        ModelPreset preset = ModelPresets.FromName(name);
        Assert.Equal(hidden, preset.HiddenSize);
        Assert.Equal(heads, preset.AttentionHeads);
        Assert.Equal(hidden / heads, preset.HeadDim);
    }

    [Fact]
    public void Fp8_halves_the_bytes()
    {
        KvLayout bf16 = ModelPresets.Llama31_8B.Layout();
        KvLayout fp8 = ModelPresets.Llama31_8B.Layout(elementBytes: 1);
        Assert.Equal(bf16.BytesPerToken / 2, fp8.BytesPerToken);
        Assert.Equal(65_536, fp8.BytesPerToken);
    }

    [Fact]
    public void Block_bytes_by_hand_for_a_small_layout()
    {
        var layout = new KvLayout("tiny", layers: 3, kvHeads: 2, headDim: 5, elementBytes: 2, tokensPerBlock: 7);
        Assert.Equal(2 * 3 * 2 * 5 * 2, layout.BytesPerToken);
        Assert.Equal(120 * 7, layout.BytesPerBlock);
        Assert.Equal(120 * 9, layout.WithTokensPerBlock(9).BytesPerBlock);
    }

    [Theory]
    [InlineData(0, 1, 1, 1, 1, "layers")]
    [InlineData(1, 0, 1, 1, 1, "kvHeads")]
    [InlineData(1, 1, -4, 1, 1, "headDim")]
    [InlineData(1, 1, 1, 0, 1, "elementBytes")]
    [InlineData(1, 1, 1, 1, -1, "tokensPerBlock")]
    public void Invalid_dimension_throws_naming_it(int layers, int kvHeads, int headDim, int elementBytes, int tokensPerBlock,
        string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => new KvLayout("m", layers, kvHeads, headDim, elementBytes, tokensPerBlock));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Block_over_two_gibibytes_throws()
    {
        // 405B at 8,192 tokens per block: 516,096 × 8,192 bytes > int.MaxValue.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ModelPresets.Llama31_405B.Layout(tokensPerBlock: 8192));
        Assert.Equal("tokensPerBlock", ex.ParamName);
    }

    [Fact]
    public void Blank_model_id_throws()
    {
        Assert.Throws<ArgumentException>(() => new KvLayout(" ", 1, 1, 1, 1, 1));
    }

    [Fact]
    public void Model_presets_lookup_is_case_insensitive_and_lists_names_on_miss()
    {
        Assert.Same(ModelPresets.Qwen25_7B, ModelPresets.FromName("Qwen2.5-7B"));
        var ex = Assert.Throws<ArgumentException>(() => ModelPresets.FromName("gpt-5"));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("gpt-5", ex.Message, StringComparison.Ordinal);
        foreach (ModelPreset preset in ModelPresets.All)
        {
            Assert.Contains(preset.Name, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Model_presets_are_unique_kebab_names()
    {
        Assert.Equal(5, ModelPresets.All.Count);
        Assert.Equal(ModelPresets.All.Count, ModelPresets.All.Select(p => p.Name).Distinct().Count());
        Assert.All(ModelPresets.All, p => Assert.Equal(p.Name.ToLowerInvariant(), p.Name));
    }

    // Total parameters = embeddings + LM head + layers × (attention + SwiGLU MLP + 2 norms) + final norm.
    [Fact]
    public void Parameter_counts_follow_from_the_config()
    {
        Assert.Equal(Params(128_256, 4096, 32, 14_336, 32, 8, 128, qkvBias: false), ModelPresets.Llama31_8B.ParameterCount);
        Assert.Equal(Params(128_256, 8192, 80, 28_672, 64, 8, 128, qkvBias: false), ModelPresets.Llama31_70B.ParameterCount);
        Assert.Equal(Params(128_256, 16_384, 126, 53_248, 128, 8, 128, qkvBias: false), ModelPresets.Llama31_405B.ParameterCount);
        Assert.Equal(Params(152_064, 3584, 28, 18_944, 28, 4, 128, qkvBias: true), ModelPresets.Qwen25_7B.ParameterCount);
        Assert.Equal(Params(32_000, 4096, 32, 14_336, 32, 8, 128, qkvBias: false), ModelPresets.Mistral7B.ParameterCount);
    }

    [Theory]
    [InlineData("Llama-3.1-8B", "name")]
    [InlineData("llama 3", "name")]
    [InlineData("-llama", "name")]
    public void Model_preset_rejects_non_kebab_names(string name, string parameter)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelPreset(name, "x", 1, 8, 2, 1, 1, 4));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Model_preset_rejects_kv_heads_that_do_not_group()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPreset("m", "M", 1, 12, 6, 1, 4, 2));
        Assert.Equal("kvHeads", ex.ParamName);
        Assert.Contains("4", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPreset("m", "M", 0, 12, 6, 1, 3, 2));
    }

    private static long Params(long vocab, long hidden, long layers, long mlp, long heads, long kvHeads, long headDim, bool qkvBias)
    {
        long attention = (hidden * heads * headDim) + (2 * hidden * kvHeads * headDim) + (heads * headDim * hidden);
        if (qkvBias)
        {
            attention += (heads * headDim) + (2 * kvHeads * headDim);
        }

        long layer = attention + (3 * hidden * mlp) + (2 * hidden);
        return (layers * layer) + (2 * vocab * hidden) + hidden;
    }
}
