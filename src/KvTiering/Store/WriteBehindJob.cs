using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// A demotion in the write-behind queue: entry <see cref="Entry"/> (while its stamp is still <see cref="Stamp"/>) goes
/// into <see cref="Slot"/> of tier <see cref="Tier"/>, its bytes in staging buffer <see cref="Buffer"/>; with
/// <see cref="Buffer"/> -1, a reserved slot to free on the device (<see cref="WriteBehind.UnbindMoved"/>).
/// </summary>
internal readonly record struct WriteBehindJob(int Entry, long Stamp, int Tier, int Slot, int Buffer, int Length,
    BlockKey Key, BlockKey Parent)
{
    /// <summary>A job that frees reserved <paramref name="slot"/> of tier <paramref name="tier"/> on its device.</summary>
    public static WriteBehindJob Free(int tier, int slot) => new(-1, 0, tier, slot, -1, 0, default, default);
}
