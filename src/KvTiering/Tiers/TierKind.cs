namespace KvTiering.Tiers;

/// <summary>The class of memory a tier models.</summary>
public enum TierKind
{
    /// <summary>On-chip SRAM.</summary>
    Sram,

    /// <summary>High-bandwidth memory stacked beside the accelerator.</summary>
    Hbm,

    /// <summary>Graphics DRAM on the accelerator board.</summary>
    Gddr,

    /// <summary>Host DRAM reached over the host link.</summary>
    Dram,

    /// <summary>NVMe flash.</summary>
    Flash,

    /// <summary>A remote, shared tier.</summary>
    Remote,
}
