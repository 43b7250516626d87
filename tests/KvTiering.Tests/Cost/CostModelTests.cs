using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Cost;

public sealed class CostModelTests
{
    // 1,000 parameters, 2 layers, 2 heads × head dim 4 (attention width 8), on a 1 kFLOP/s chip at 50% MFU.
    private static readonly ModelPreset Tiny = new("tiny", "Tiny", 1000, hiddenSize: 8, attentionHeads: 2, layers: 2, kvHeads: 1, headDim: 4);
    private static readonly AcceleratorProfile Slow = new("slow", "Slow", 1000, 0.5, 1e9, 1_000_000, 100);

    [Fact]
    public void Prefill_flops_by_hand()
    {
        var cost = new CostModel(Tiny, Slow);
        // 10 new tokens after 6 cached: 2·1000·10 = 20,000 dense; 4·2·8·10·(6 + 10/2) = 7,040 attention.
        Assert.Equal(27_040, cost.PrefillFlops(10, 6));
        // At depth 0 a single token attends to half of itself: 2·1000 + 4·2·8·1·0.5 = 2,032.
        Assert.Equal(2_032, cost.PrefillFlops(1, 0));
        Assert.Equal(27_040 / 500.0, cost.RecomputeSeconds(10, 6), 12);
        Assert.Equal(27_040 / 500.0 * 100, cost.RecomputeJoules(10, 6)!.Value, 9);
    }

    [Fact]
    public void Prefill_of_llama_8b_follows_the_formula()
    {
        var cost = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.H100Sxm);
        double expected = (2.0 * 8_030_261_248 * 8000) + (4.0 * 32 * 4096 * 8000 * 4000);
        Assert.Equal(expected, cost.PrefillFlops(8000, 0));
        Assert.Equal(expected / (989e12 * 0.45), cost.RecomputeSeconds(8000, 0), 12);
    }

    [Fact]
    public void Mfu_override_scales_recompute_time_inversely()
    {
        var atDefault = new CostModel(Tiny, Slow);
        var atQuarter = new CostModel(Tiny, Slow, prefillMfu: 0.25);
        Assert.Equal(0.25, atQuarter.PrefillMfu);
        Assert.Equal(2 * atDefault.RecomputeSeconds(10, 6), atQuarter.RecomputeSeconds(10, 6), 12);
    }

    [Fact]
    public void Recompute_grows_with_depth_and_tokens()
    {
        var cost = new CostModel(ModelPresets.Qwen25_7B, AcceleratorProfiles.H200);
        double previous = 0;
        foreach (int depth in new[] { 0, 1, 1000, 10_000, 100_000 })
        {
            double seconds = cost.RecomputeSeconds(16, depth);
            Assert.True(seconds > previous, $"depth {depth}");
            previous = seconds;
        }

        Assert.True(cost.RecomputeSeconds(32, 0) > cost.RecomputeSeconds(16, 0));
    }

    [Fact]
    public void Long_context_on_host_dram_beats_recompute()
    {
        var cost = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.H100Sxm);
        // The docs' worked example: restoring 8,000 tokens (1.05 GB) over PCIe takes ~16 ms; recompute ~326 ms.
        Assert.True(cost.LoadBeatsRecompute(TierProfiles.Dram, 8000, 0));
        Assert.True(cost.LoadBeatsRecompute(TierProfiles.Dram, 8000, 32_000));
        Assert.True(cost.LoadBeatsRecompute(TierProfiles.Dram, 16, 100_000));
        double load = CostModel.LoadSeconds(TierProfiles.Dram, cost.KvBytes(8000));
        Assert.Equal(5e-6 + (8000 * 131_072 / 64e9), load, 12);
        Assert.True(cost.RecomputeSeconds(8000, 0) / load > 15);
    }

    [Fact]
    public void Flash_load_of_a_tiny_block_at_shallow_depth_loses()
    {
        // One token of Llama-3.1-8B on B200: flash pays 60 µs of latency; recompute is ~16 µs.
        var cost = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.B200);
        Assert.False(cost.LoadBeatsRecompute(TierProfiles.Flash, 1, 0));
        Assert.True(CostModel.LoadSeconds(TierProfiles.Flash, cost.KvBytes(1)) > cost.RecomputeSeconds(1, 0));
    }

    [Fact]
    public void Crossover_depth_exists_and_load_wins_beyond_it()
    {
        var cost = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.B200);
        int crossover = -1;
        for (int depth = 0; depth <= 200_000; depth += 500)
        {
            bool wins = cost.LoadBeatsRecompute(TierProfiles.Flash, 1, depth);
            if (crossover < 0 && wins)
            {
                crossover = depth;
            }

            Assert.Equal(crossover >= 0, wins);
        }

        Assert.True(crossover > 0, "flash should lose at depth 0 and win at some depth");
    }

    [Fact]
    public void Faster_tier_wins_wherever_a_slower_one_does()
    {
        var cost = new CostModel(ModelPresets.Llama31_70B, AcceleratorProfiles.B200);
        foreach (int tokens in new[] { 1, 16, 64, 4096 })
        {
            foreach (int depth in new[] { 0, 128, 4096, 65_536 })
            {
                if (cost.LoadBeatsRecompute(TierProfiles.Flash, tokens, depth))
                {
                    Assert.True(cost.LoadBeatsRecompute(TierProfiles.Dram, tokens, depth));
                }

                if (cost.LoadBeatsRecompute(TierProfiles.Dram, tokens, depth))
                {
                    Assert.True(cost.LoadBeatsRecompute(TierProfiles.Hbm3e, tokens, depth));
                }
            }
        }
    }

    [Fact]
    public void Load_time_and_energy_use_the_tier_profile()
    {
        var tier = new TierProfile("t", TierKind.Dram, 1e9, 5e8, TimeSpan.FromMicroseconds(10), 10, 1 << 30);
        Assert.Equal(10e-6 + 1.0, CostModel.LoadSeconds(tier, 1_000_000_000), 12);
        Assert.Equal(1_000 * 8 * 10e-12, CostModel.LoadJoules(tier, 1_000), 15);
        Assert.Equal(10e-6, CostModel.LoadSeconds(tier, 0), 12);
    }

    [Fact]
    public void Recompute_joules_need_a_published_board_power()
    {
        var h100 = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.H100Sxm);
        Assert.Equal(h100.RecomputeSeconds(100, 0) * 700, h100.RecomputeJoules(100, 0)!.Value, 12);
        var tpu = new CostModel(ModelPresets.Llama31_8B, AcceleratorProfiles.TpuV5e);
        Assert.Null(tpu.RecomputeJoules(100, 0));
    }

    [Fact]
    public void Fp8_cache_halves_the_bytes_to_load()
    {
        var bf16 = new CostModel(ModelPresets.Mistral7B, AcceleratorProfiles.H100Sxm);
        var fp8 = new CostModel(ModelPresets.Mistral7B, AcceleratorProfiles.H100Sxm, elementBytes: 1);
        Assert.Equal(131_072, bf16.BytesPerToken);
        Assert.Equal(bf16.KvBytes(64) / 2, fp8.KvBytes(64));
    }

    [Theory]
    [InlineData(0, 0, "tokens")]
    [InlineData(-3, 0, "tokens")]
    [InlineData(1, -1, "contextBefore")]
    public void Invalid_token_counts_throw_naming_the_argument(int tokens, int contextBefore, string parameter)
    {
        var cost = new CostModel(Tiny, Slow);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => cost.RecomputeSeconds(tokens, contextBefore));
        Assert.Equal(parameter, ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => cost.LoadBeatsRecompute(TierProfiles.Dram, tokens, contextBefore));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Invalid_inputs_throw_naming_the_argument()
    {
        Assert.Equal("bytes", Assert.Throws<ArgumentOutOfRangeException>(() => CostModel.LoadSeconds(TierProfiles.Dram, -1)).ParamName);
        Assert.Equal("bytes", Assert.Throws<ArgumentOutOfRangeException>(() => CostModel.LoadJoules(TierProfiles.Dram, -1)).ParamName);
        Assert.Equal("tier", Assert.Throws<ArgumentNullException>(() => CostModel.LoadSeconds(null!, 1)).ParamName);
        Assert.Equal("prefillMfu", Assert.Throws<ArgumentOutOfRangeException>(() => new CostModel(Tiny, Slow, 0)).ParamName);
        Assert.Equal("prefillMfu", Assert.Throws<ArgumentOutOfRangeException>(() => new CostModel(Tiny, Slow, 1.5)).ParamName);
        Assert.Equal("prefillMfu", Assert.Throws<ArgumentOutOfRangeException>(() => new CostModel(Tiny, Slow, double.NaN)).ParamName);
        Assert.Equal("elementBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new CostModel(Tiny, Slow, elementBytes: 0)).ParamName);
    }

    [Theory]
    [InlineData("h100-sxm", "h100-sxm")]
    [InlineData("H100", "h100-sxm")]
    [InlineData("h200", "h200")]
    [InlineData("b200", "b200")]
    [InlineData("lpu", "groq-lpu")]
    [InlineData("tpu-v5e", "tpu-v5e")]
    [InlineData("trillium", "tpu-v6e")]
    public void Accelerator_FromName_resolves_names_and_aliases(string name, string expected)
    {
        Assert.Equal(expected, AcceleratorProfiles.FromName(name).Name);
    }

    [Fact]
    public void Accelerator_FromName_unknown_lists_valid_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => AcceleratorProfiles.FromName("a100"));
        Assert.Equal("name", ex.ParamName);
        Assert.All(AcceleratorProfiles.All, p => Assert.Contains(p.Name, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Accelerator_peaks_are_dense_halves_of_the_sparse_headlines()
    {
        Assert.InRange(AcceleratorProfiles.H100Sxm.PeakFlopsPerSecond, 989e12, 1979e12 / 2);
        Assert.Equal(AcceleratorProfiles.H100Sxm.PeakFlopsPerSecond, AcceleratorProfiles.H200.PeakFlopsPerSecond);
        Assert.Equal(4.5e15 / 2, AcceleratorProfiles.B200.PeakFlopsPerSecond);
        Assert.Equal(197e12, AcceleratorProfiles.TpuV5e.PeakFlopsPerSecond);
        Assert.All(AcceleratorProfiles.All, p => Assert.Equal(AcceleratorProfiles.DefaultPrefillMfu, p.PrefillMfu));
        Assert.Equal(989e12 * 0.45, AcceleratorProfiles.H100Sxm.SustainedFlopsPerSecond(0.45), 0);
    }

    [Fact]
    public void Accelerator_profile_validates_its_numbers()
    {
        Assert.Equal("peakFlopsPerSecond", Assert.Throws<ArgumentOutOfRangeException>(
            () => new AcceleratorProfile("x", "X", 0, 0.5, 1, 1, null)).ParamName);
        Assert.Equal("prefillMfu", Assert.Throws<ArgumentOutOfRangeException>(
            () => new AcceleratorProfile("x", "X", 1, 0, 1, 1, null)).ParamName);
        Assert.Equal("memoryBytesPerSecond", Assert.Throws<ArgumentOutOfRangeException>(
            () => new AcceleratorProfile("x", "X", 1, 0.5, double.PositiveInfinity, 1, null)).ParamName);
        Assert.Equal("memoryCapacityBytes", Assert.Throws<ArgumentOutOfRangeException>(
            () => new AcceleratorProfile("x", "X", 1, 0.5, 1, 0, null)).ParamName);
        Assert.Equal("thermalDesignPowerWatts", Assert.Throws<ArgumentOutOfRangeException>(
            () => new AcceleratorProfile("x", "X", 1, 0.5, 1, 1, -5)).ParamName);
    }
}
