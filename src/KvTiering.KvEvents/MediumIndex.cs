using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.KvEvents;

/// <summary>Medium strings to a small index: 0 GPU (also absent or empty, as Dynamo reads it), 1 CPU, 2 disk, 3 other.</summary>
internal static class MediumIndex
{
    public const int Count = 4;

    public static int Of(string? medium) => medium switch
    {
        null or "" => 0,
        _ when medium.Equals(KvEventMedium.Gpu, StringComparison.OrdinalIgnoreCase) => 0,
        _ when medium.Equals(KvEventMedium.Cpu, StringComparison.OrdinalIgnoreCase) => 1,
        _ when medium.Equals(KvEventMedium.Disk, StringComparison.OrdinalIgnoreCase)
            || medium.Equals("SSD", StringComparison.OrdinalIgnoreCase) => 2,
        _ => 3,
    };

    public static int Of(TierKind kind) => Of(KvEventMedium.Of(kind));

    /// <summary>The fastest medium set in <paramref name="mask"/>.</summary>
    public static int Fastest(long mask) => System.Numerics.BitOperations.TrailingZeroCount((uint)(mask & 0xFF));
}
