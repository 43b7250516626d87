namespace KvTiering.Cost;

/// <summary>
/// Accelerators across vendors, one chip each. Peaks are the vendors' dense BF16 figures (half the "with sparsity"
/// figure NVIDIA headlines); memory numbers are datasheet values; the default prefill MFU of 0.45 is an assumption
/// (docs/cost-model.md explains it). Board power is given only where the vendor publishes it.
/// </summary>
public static class AcceleratorProfiles
{
    /// <summary>Default prefill model-FLOPs utilization of every preset (assumption; see docs/cost-model.md).</summary>
    /// <remarks>
    /// Anchors: PaLM training reached 46.2% MFU (Chowdhery et al. 2022, "PaLM", §4 and appendix B); large-batch
    /// prefill of PaLM 540B on TPU v4 reached 76% (Pope et al., "Efficiently Scaling Transformer Inference", MLSys
    /// 2023). A single request's prefill batches fewer tokens, so the lower anchor is taken.
    /// </remarks>
    public const double DefaultPrefillMfu = 0.45;

    /// <summary>NVIDIA H100 SXM: 989 TFLOP/s dense BF16, 80 GB HBM3 at 3.35 TB/s, 700 W.</summary>
    /// <remarks>NVIDIA H100 Tensor Core GPU datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity (989 dense).</remarks>
    public static AcceleratorProfile H100Sxm { get; } =
        new("h100-sxm", "NVIDIA H100 SXM", 989e12, DefaultPrefillMfu, 3.35e12, 80_000_000_000, 700);

    /// <summary>NVIDIA H200 SXM: 989 TFLOP/s dense BF16, 141 GB HBM3e at 4.8 TB/s, 700 W.</summary>
    /// <remarks>NVIDIA H200 Tensor Core GPU datasheet: same Hopper compute as H100 SXM, larger and faster memory.</remarks>
    public static AcceleratorProfile H200 { get; } =
        new("h200", "NVIDIA H200 SXM", 989e12, DefaultPrefillMfu, 4.8e12, 141_000_000_000, 700);

    /// <summary>NVIDIA B200 (HGX): 2.25 PFLOP/s dense BF16, 180 GB HBM3e at 7.7 TB/s, 1,000 W.</summary>
    /// <remarks>
    /// NVIDIA HGX B200 specifications, per GPU: FP16/BF16 Tensor Core 4.5 PFLOPS with sparsity (2.25 dense), 180 GB
    /// HBM3e at 7.7 TB/s, configurable up to 1,000 W.
    /// </remarks>
    public static AcceleratorProfile B200 { get; } =
        new("b200", "NVIDIA B200 (HGX)", 2.25e15, DefaultPrefillMfu, 7.7e12, 180_000_000_000, 1000);

    /// <summary>Groq LPU (one chip): 188 TFLOP/s FP16, 230 MB on-die SRAM at 80 TB/s, no published board power.</summary>
    /// <remarks>
    /// Groq LPU / GroqChip figures: 750 TOPS INT8, 188 TFLOPS FP16, 230 MB SRAM, 80 TB/s. One chip holds no model of
    /// these sizes; a deployment shards a model over hundreds of chips, so divide recompute time by the chip count.
    /// </remarks>
    public static AcceleratorProfile GroqLpu { get; } =
        new("groq-lpu", "Groq LPU", 188e12, DefaultPrefillMfu, 80e12, 230_000_000, null);

    /// <summary>Google Cloud TPU v5e: 197 TFLOP/s BF16, 16 GB HBM2 at 819 GB/s, no published board power.</summary>
    /// <remarks>Cloud TPU v5e documentation, key chip specifications.</remarks>
    public static AcceleratorProfile TpuV5e { get; } =
        new("tpu-v5e", "Google TPU v5e", 197e12, DefaultPrefillMfu, 819e9, 16_000_000_000, null);

    /// <summary>Google Cloud TPU v6e (Trillium): 918 TFLOP/s BF16, 32 GB HBM at 1,638 GB/s, no published board power.</summary>
    /// <remarks>Cloud TPU v6e documentation, system architecture table.</remarks>
    public static AcceleratorProfile TpuV6e { get; } =
        new("tpu-v6e", "Google TPU v6e (Trillium)", 918e12, DefaultPrefillMfu, 1638e9, 32_000_000_000, null);

    /// <summary>Every preset.</summary>
    public static IReadOnlyList<AcceleratorProfile> All { get; } = [H100Sxm, H200, B200, GroqLpu, TpuV5e, TpuV6e];

    /// <summary>
    /// The preset named <paramref name="name"/> (case-insensitive): "h100-sxm" (or "h100"), "h200", "b200",
    /// "groq-lpu" (or "lpu"), "tpu-v5e", "tpu-v6e" (or "trillium").
    /// </summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists the valid names.</exception>
    public static AcceleratorProfile FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim();
        foreach ((string alias, AcceleratorProfile profile) in Aliases)
        {
            if (string.Equals(alias, key, StringComparison.OrdinalIgnoreCase))
            {
                return profile;
            }
        }

        throw UnknownName(name);
    }

    private static readonly (string Alias, AcceleratorProfile Profile)[] Aliases =
    [
        ("h100-sxm", H100Sxm), ("h100", H100Sxm), ("h200", H200), ("b200", B200), ("groq-lpu", GroqLpu),
        ("lpu", GroqLpu), ("tpu-v5e", TpuV5e), ("tpu-v6e", TpuV6e), ("trillium", TpuV6e),
    ];

    private static ArgumentException UnknownName(string name) =>
        new($"Unknown accelerator '{name}'. Valid names: h100-sxm (h100), h200, b200, groq-lpu (lpu), tpu-v5e, tpu-v6e (trillium).",
            nameof(name));
}
