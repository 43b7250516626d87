using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>A failed device read's cause, as <see cref="BlockMiss"/> tells it to the caller.</summary>
internal static class ReadMisses
{
    /// <summary>
    /// Why the latest read of <paramref name="slot"/> in <paramref name="tier"/> returned -1. Ask while the slot is
    /// still the block's (under the lock, before anything frees or rewrites it), as <see cref="SlotBinding.DropUnreadable"/> does.
    /// </summary>
    public static BlockMiss Of(Tier tier, int slot) =>
        (tier.FailureCauses?.LastReadFailure(slot) ?? ReadFailure.Unknown) switch
        {
            ReadFailure.Lost => BlockMiss.Lost,
            ReadFailure.Unreachable => BlockMiss.Unreachable,
            _ => BlockMiss.Corrupt, // Unknown too: the store counts and logs it as a checksum failure
        };
}
