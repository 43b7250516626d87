using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>How many leading blocks of a key sequence are resident, and how many of those sit in each tier.</summary>
public struct PrefixMatch
{
    private TierCounts _perTier;

    /// <summary>Leading blocks resident.</summary>
    public int Blocks { get; internal set; }

    /// <summary>Of the matched blocks, how many are in tier <paramref name="tier"/>.</summary>
    public readonly int BlocksInTier(int tier)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tier);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tier, TieredKvStore.MaxTiers);
        return _perTier[tier];
    }

    internal void Count(int tier) => _perTier[tier]++;

    [InlineArray(TieredKvStore.MaxTiers)]
    private struct TierCounts
    {
        private int _element;
    }
}
