using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Cost;

/// <summary>
/// Compares the two ways of getting a prefix's KV cache back into the accelerator: load its bytes from a tier, or
/// recompute it by running prefill again. All members are pure functions of the model, the accelerator and the
/// arguments; formulas and a worked example are in docs/cost-model.md.
/// </summary>
/// <remarks>
/// Prefill FLOPs = 2·N·T + 4·L·A·T·(C + T/2), for N parameters, T new tokens, C tokens of context before them,
/// L layers and attention width A = query heads × head dim. The first term is the forward half of the 6N rule
/// (Kaplan et al., "Scaling Laws for Neural Language Models", 2020, §2.1: C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn);
/// the second is the attention term of the PaLM paper's appendix B (Chowdhery et al. 2022: 6N + 12·L·H·Q·T per
/// training token, so 4·L·H·Q·T per forward token), with causal masking: token i attends to C + i earlier
/// positions, C + T/2 on average. Recompute time = FLOPs ÷ (peak × MFU). Load time = tier latency + bytes ÷ read
/// bandwidth.
/// </remarks>
public sealed class CostModel
{
    /// <summary>Creates a cost model for one model on one accelerator.</summary>
    /// <param name="model">The model whose KV cache is restored or recomputed.</param>
    /// <param name="accelerator">The chip that would run the recompute.</param>
    /// <param name="prefillMfu">Overrides the accelerator's default prefill utilization; in (0, 1].</param>
    /// <param name="elementBytes">Bytes per KV element: 2 for BF16/FP16, 1 for FP8.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefillMfu"/> or <paramref name="elementBytes"/> is out of range.</exception>
    public CostModel(ModelPreset model, AcceleratorProfile accelerator, double? prefillMfu = null, int elementBytes = 2)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementBytes);
        double mfu = prefillMfu ?? accelerator.PrefillMfu;
        AcceleratorProfile.ValidateMfu(mfu, nameof(prefillMfu));
        Model = model;
        Accelerator = accelerator;
        PrefillMfu = mfu;
        BytesPerToken = model.Layout(tokensPerBlock: 1, elementBytes: elementBytes).BytesPerToken;
    }

    /// <summary>The model.</summary>
    public ModelPreset Model { get; }

    /// <summary>The accelerator that would recompute.</summary>
    public AcceleratorProfile Accelerator { get; }

    /// <summary>The prefill model-FLOPs utilization in use.</summary>
    public double PrefillMfu { get; }

    /// <summary>KV bytes per token at the configured element size.</summary>
    public long BytesPerToken { get; }

    /// <summary>KV bytes of <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative.</exception>
    public long KvBytes(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return tokens * BytesPerToken;
    }

    /// <summary>
    /// FLOPs of prefilling <paramref name="tokens"/> new tokens after <paramref name="contextBefore"/> cached ones:
    /// 2·N·T + 4·L·A·T·(C + T/2).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is not positive or <paramref name="contextBefore"/> is negative.</exception>
    public double PrefillFlops(int tokens, int contextBefore)
    {
        ValidateTokens(tokens, contextBefore);
        double t = tokens;
        double dense = 2.0 * Model.ParameterCount * t;
        double attentionWidth = (double)Model.AttentionHeads * Model.HeadDim;
        double attention = 4.0 * Model.Layers * attentionWidth * t * (contextBefore + (t / 2));
        return dense + attention;
    }

    /// <summary>Seconds to recompute the KV of <paramref name="tokens"/> tokens at depth <paramref name="contextBefore"/>: FLOPs ÷ (peak × MFU).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is not positive or <paramref name="contextBefore"/> is negative.</exception>
    public double RecomputeSeconds(int tokens, int contextBefore) =>
        PrefillFlops(tokens, contextBefore) / (Accelerator.PeakFlopsPerSecond * PrefillMfu);

    /// <summary>
    /// Joules to recompute, charging the accelerator's full board power for the recompute time (an upper bound), or
    /// null when the vendor publishes no board power.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is not positive or <paramref name="contextBefore"/> is negative.</exception>
    public double? RecomputeJoules(int tokens, int contextBefore)
    {
        double seconds = RecomputeSeconds(tokens, contextBefore);
        return Accelerator.ThermalDesignPowerWatts is { } watts ? seconds * watts : null;
    }

    /// <summary>Seconds to load <paramref name="bytes"/> from <paramref name="tier"/>: latency + bytes ÷ read bandwidth.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public static double LoadSeconds(TierProfile tier, long bytes)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return tier.ReadSeconds(bytes);
    }

    /// <summary>Joules to move <paramref name="bytes"/> out of <paramref name="tier"/>: bits × the tier's pJ/bit.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public static double LoadJoules(TierProfile tier, long bytes)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return tier.Joules(bytes);
    }

    /// <summary>
    /// Whether loading the KV of <paramref name="tokens"/> tokens from <paramref name="tier"/> is faster than
    /// recomputing them at depth <paramref name="contextBefore"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is not positive or <paramref name="contextBefore"/> is negative.</exception>
    public bool LoadBeatsRecompute(TierProfile tier, int tokens, int contextBefore)
    {
        ArgumentNullException.ThrowIfNull(tier);
        double recompute = RecomputeSeconds(tokens, contextBefore);
        return LoadSeconds(tier, KvBytes(tokens)) < recompute;
    }

    private static void ValidateTokens(int tokens, int contextBefore)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(contextBefore);
    }
}
