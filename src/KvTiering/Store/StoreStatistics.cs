namespace KvTiering.Store;

/// <summary>A snapshot of the store's counters.</summary>
public sealed record StoreStatistics
{
    /// <summary>Block lookups by TryGet.</summary>
    public required long Lookups { get; init; }

    /// <summary>Lookups that returned verified bytes.</summary>
    public required long Hits { get; init; }

    /// <summary>Lookups that found nothing usable.</summary>
    public required long Misses { get; init; }

    /// <summary>Put calls.</summary>
    public required long Puts { get; init; }

    /// <summary>New blocks the placement router kept out of the store (batch blocks with no tier below the accelerator).</summary>
    public long Bypassed { get; init; }

    /// <summary>Blocks resident in all tiers.</summary>
    public required int ResidentBlocks { get; init; }

    /// <summary>Per-tier counters, top tier first.</summary>
    public required IReadOnlyList<TierStatistics> Tiers { get; init; }

    /// <summary>Hits ÷ lookups (0 when there were none).</summary>
    public double HitRate => Lookups == 0 ? 0 : (double)Hits / Lookups;
}
