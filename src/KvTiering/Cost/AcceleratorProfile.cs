namespace KvTiering.Cost;

/// <summary>
/// What one accelerator chip offers the cost model: dense peak FLOP/s, the fraction of it prefill achieves, its
/// memory bandwidth and capacity, and its board power when published. Presets in <see cref="AcceleratorProfiles"/>
/// cite their sources in docs/cost-model.md.
/// </summary>
public sealed record AcceleratorProfile
{
    /// <summary>Creates a profile, validating every number.</summary>
    /// <exception cref="ArgumentException">A name is blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A rate or size is not positive, or the utilization is outside (0, 1].</exception>
    public AcceleratorProfile(string name, string displayName, double peakFlopsPerSecond, double prefillMfu,
        double memoryBytesPerSecond, long memoryCapacityBytes, double? thermalDesignPowerWatts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        if (!(peakFlopsPerSecond > 0) || double.IsPositiveInfinity(peakFlopsPerSecond))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(peakFlopsPerSecond), peakFlopsPerSecond,
                $"Peak FLOP/s {peakFlopsPerSecond} must be positive and finite.");
        }

        ValidateMfu(prefillMfu, nameof(prefillMfu));
        if (!(memoryBytesPerSecond > 0) || double.IsPositiveInfinity(memoryBytesPerSecond))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(memoryBytesPerSecond), memoryBytesPerSecond,
                $"Memory bandwidth {memoryBytesPerSecond} B/s must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryCapacityBytes);
        if (thermalDesignPowerWatts is { } watts && (!(watts > 0) || double.IsPositiveInfinity(watts)))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(thermalDesignPowerWatts), watts,
                $"Board power {watts} W must be positive and finite when given.");
        }

        Name = name;
        DisplayName = displayName;
        PeakFlopsPerSecond = peakFlopsPerSecond;
        PrefillMfu = prefillMfu;
        MemoryBytesPerSecond = memoryBytesPerSecond;
        MemoryCapacityBytes = memoryCapacityBytes;
        ThermalDesignPowerWatts = thermalDesignPowerWatts;
    }

    /// <summary>Lower-case kebab name, e.g. "h100-sxm".</summary>
    public string Name { get; }

    /// <summary>Human-readable name, e.g. "NVIDIA H100 SXM".</summary>
    public string DisplayName { get; }

    /// <summary>Dense (no structured sparsity) BF16 peak of one chip, FLOP/s (FP16 where no BF16 figure exists).</summary>
    public double PeakFlopsPerSecond { get; }

    /// <summary>Default model-FLOPs utilization of prefill, in (0, 1]; an assumption, see docs/cost-model.md.</summary>
    public double PrefillMfu { get; }

    /// <summary>Bandwidth of the chip's own memory (HBM, or on-die SRAM for an LPU), bytes per second.</summary>
    public double MemoryBytesPerSecond { get; }

    /// <summary>Capacity of the chip's own memory, bytes.</summary>
    public long MemoryCapacityBytes { get; }

    /// <summary>Maximum board power (TDP) in watts, or null where the vendor publishes none.</summary>
    public double? ThermalDesignPowerWatts { get; }

    /// <summary>FLOP/s prefill sustains at <paramref name="mfu"/> utilization (peak × MFU).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mfu"/> is outside (0, 1].</exception>
    public double SustainedFlopsPerSecond(double mfu)
    {
        ValidateMfu(mfu, nameof(mfu));
        return PeakFlopsPerSecond * mfu;
    }

    internal static void ValidateMfu(double mfu, string paramName)
    {
        if (!(mfu > 0 && mfu <= 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, mfu, $"Model-FLOPs utilization {mfu} must be in (0, 1].");
        }
    }
}
