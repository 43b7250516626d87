namespace KvTiering.Tiers;

/// <summary>
/// Physical profiles of the memory tiers a KV cache can live in, from on-chip SRAM to NVMe flash. Each number comes
/// from a vendor datasheet or a paper; docs/tiers.md lists the source of every one and shows the energy arithmetic.
/// Latencies that no datasheet states are labelled assumptions there; block loads are bandwidth-bound, so they
/// matter little.
/// </summary>
public static class TierProfiles
{
    /// <summary>
    /// On-chip SRAM of an LPU-class inference chip (Groq LPU): 230 MB at 80 TB/s, 1.56 pJ/bit.
    /// </summary>
    /// <remarks>
    /// Capacity and bandwidth: Groq LPU/GroqChip public figures (230 MB SRAM, 80 TB/s on-die bandwidth); Groq
    /// publishes one bandwidth figure, used for reads and writes. Energy: Horowitz, "Computing's energy problem (and
    /// what we can do about it)", ISSCC 2014: 100 pJ per 64-bit access of a 1 MB SRAM at 45 nm = 1.5625 pJ/bit, an
    /// upper bound for SRAM on a newer node. Latency: a few 900 MHz cycles (Abts et al., ISCA 2020), below
    /// TimeSpan's 100 ns tick, so modeled as zero.
    /// </remarks>
    public static TierProfile Sram { get; } =
        new("sram", TierKind.Sram, 80e12, 80e12, TimeSpan.Zero, 100.0 / 64, 230_000_000);

    /// <summary>HBM3 as on an H100 SXM: 80 GB at 3.35 TB/s, 3.97 pJ/bit.</summary>
    /// <remarks>
    /// Capacity and bandwidth: NVIDIA H100 Tensor Core GPU datasheet (SXM: 80 GB HBM3, 3.35 TB/s). Energy: O'Connor et
    /// al., "Fine-Grained DRAM", MICRO 2017: 3.97 pJ/bit for an HBM2 access (activation, on-die movement and I/O),
    /// held for HBM3 because no comparable HBM3 breakdown is published. Latency 500 ns: assumption, the order of a GPU
    /// DRAM load (several hundred core cycles).
    /// </remarks>
    public static TierProfile Hbm3 { get; } =
        new("hbm3", TierKind.Hbm, 3.35e12, 3.35e12, TimeSpan.FromMicroseconds(0.5), 3.97, 80_000_000_000);

    /// <summary>HBM3e as on an H200: 141 GB at 4.8 TB/s, 3.97 pJ/bit.</summary>
    /// <remarks>
    /// Capacity and bandwidth: NVIDIA H200 Tensor Core GPU datasheet (141 GB HBM3e, 4.8 TB/s). Energy and latency as
    /// <see cref="Hbm3"/> (O'Connor et al. MICRO 2017 HBM figure; latency an assumption).
    /// </remarks>
    public static TierProfile Hbm3e { get; } =
        new("hbm3e", TierKind.Hbm, 4.8e12, 4.8e12, TimeSpan.FromMicroseconds(0.5), 3.97, 141_000_000_000);

    /// <summary>GDDR7 on a prefill-class board (RTX PRO 6000 Blackwell): 96 GB at 1.792 TB/s, 5.0 pJ/bit.</summary>
    /// <remarks>
    /// Capacity and bandwidth: NVIDIA RTX PRO 6000 Blackwell (96 GB GDDR7, 512-bit at 28 Gbps = 1,792 GB/s). Energy:
    /// Micron's memory comparison lists GDDR6 at 7.5 pJ/bit, and Micron states GDDR7 improves power efficiency by more
    /// than 50% over GDDR6, so 7.5 ÷ 1.5 = 5.0 pJ/bit (an upper bound). Latency 500 ns: assumption, as HBM.
    /// </remarks>
    public static TierProfile Gddr7 { get; } =
        new("gddr7", TierKind.Gddr, 1.792e12, 1.792e12, TimeSpan.FromMicroseconds(0.5), 7.5 / 1.5, 96_000_000_000);

    /// <summary>
    /// DDR5 host DRAM as the accelerator sees it: bounded by the PCIe Gen5 x16 host link, 64 GB/s per direction,
    /// 20.3 pJ/bit.
    /// </summary>
    /// <remarks>
    /// Bandwidth: the host DRAM itself is faster; the accelerator reaches it over PCIe Gen5 x16, which the NVIDIA H100
    /// datasheet lists as 128 GB/s (both directions together), i.e. 64 GB/s each way. Capacity: 2 TB, the host memory
    /// of an 8-GPU H200 server (32 × 64 GB DDR5 RDIMMs, MLCommons Inference v4.1 NVIDIA H200-SXM-141GBx8 system
    /// description). Energy: Horowitz ISSCC 2014, 1.3–2.6 nJ per 64-bit DRAM access; the low end, 1300 ÷ 64 = 20.3
    /// pJ/bit; the PCIe PHY energy is not included. Latency 5 µs: assumption, the order of a copy-engine DMA launch
    /// plus a PCIe round trip.
    /// </remarks>
    public static TierProfile Dram { get; } =
        new("dram", TierKind.Dram, 64e9, 64e9, TimeSpan.FromMicroseconds(5), 1300.0 / 64, 2_000_000_000_000);

    /// <summary>
    /// NVMe flash, a PCIe Gen5 data-center SSD (Micron 9550): 14.0 GB/s read, 10.0 GB/s write, 60 µs, 160.7 pJ/bit.
    /// </summary>
    /// <remarks>
    /// Micron 9550 NVMe SSD product brief: sequential read 14,000 MB/s, sequential write 10,000 MB/s, typical read
    /// latency 60 µs (write 15 µs), average power ≤ 18 W in sequential read, up to 25.6 TB (9550 MAX). Energy per
    /// bit = active power ÷ read bandwidth = 18 W ÷ (14 × 10⁹ B/s × 8 bit/B) = 160.7 pJ/bit (a write costs
    /// 18 ÷ 80 Gbit/s = 225 pJ/bit); drive only, PCIe and host excluded.
    /// </remarks>
    public static TierProfile Flash { get; } =
        new("flash", TierKind.Flash, 14e9, 10e9, TimeSpan.FromMicroseconds(60), 18.0 / (14e9 * 8) * 1e12, 25_600_000_000_000);

    /// <summary>Every preset, fastest tier first.</summary>
    public static IReadOnlyList<TierProfile> All { get; } = [Sram, Hbm3e, Hbm3, Gddr7, Dram, Flash];

    /// <summary>
    /// The preset named <paramref name="name"/> (case-insensitive): "sram" or "lpu-sram", "hbm3", "hbm3e", "gddr7",
    /// "dram" or "ddr5", "flash" or "nvme".
    /// </summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists the valid names.</exception>
    public static TierProfile FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim();
        foreach ((string alias, TierProfile profile) in Aliases)
        {
            if (string.Equals(alias, key, StringComparison.OrdinalIgnoreCase))
            {
                return profile;
            }
        }

        throw UnknownName(name);
    }

    private static readonly (string Alias, TierProfile Profile)[] Aliases =
    [
        ("sram", Sram), ("lpu-sram", Sram), ("hbm3", Hbm3), ("hbm3e", Hbm3e), ("gddr7", Gddr7),
        ("dram", Dram), ("ddr5", Dram), ("flash", Flash), ("nvme", Flash),
    ];

    private static ArgumentException UnknownName(string name) =>
        new($"Unknown tier '{name}'. Valid names: sram (lpu-sram), hbm3, hbm3e, gddr7, dram (ddr5), flash (nvme).",
            nameof(name));
}
