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

    /// <summary>While a hint is delivered: the length of the response it follows, in tokens; −1 when not told.</summary>
    int HintResponseTokens { get; }
}
