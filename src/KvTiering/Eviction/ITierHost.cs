namespace KvTiering.Eviction;

/// <summary>
/// What a <see cref="TierView"/> needs from the store that holds its tier: the chain's length and the clock. Policies
/// see the store through this and their view alone, never the store type itself.
/// </summary>
internal interface ITierHost
{
    /// <summary>Number of tiers in the chain.</summary>
    int TierCount { get; }

    /// <summary>The store's clock in seconds, from its <see cref="TimeProvider"/>.</summary>
    double NowSeconds { get; }
}
