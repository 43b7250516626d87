using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// A tier's modeled cost of its last read and write size, kept so that bookings (<see cref="StoreCounters"/>) cost a
/// size once, not per move: nearly every read and write of a replay moves one block size, and the profile's math
/// divides twice. A struct held in its <see cref="Tier"/>, so a booking reads it with no load through a reference.
/// </summary>
internal struct TierCosts
{
    /// <summary>The size <see cref="ReadSeconds"/> and <see cref="ReadJoules"/> were modeled for (-1: none yet).</summary>
    public long ReadBytes;

    public double ReadSeconds;

    public double ReadJoules;

    /// <summary>The size <see cref="WriteSeconds"/> and <see cref="WriteJoules"/> were modeled for (-1: none yet).</summary>
    public long WriteBytes;

    public double WriteSeconds;

    public double WriteJoules;

    /// <summary>No size modeled yet (a booking of any size, 0 included, models its first).</summary>
    public static TierCosts None => new() { ReadBytes = -1, WriteBytes = -1 };

    /// <summary>Models a read of <paramref name="bytes"/> out of a tier of <paramref name="profile"/>.</summary>
    public void CostRead(TierProfile profile, long bytes)
    {
        ReadBytes = bytes;
        ReadSeconds = profile.ReadSeconds(bytes);
        ReadJoules = profile.Joules(bytes);
    }

    /// <summary>Models a write of <paramref name="bytes"/> into a tier of <paramref name="profile"/>.</summary>
    public void CostWrite(TierProfile profile, long bytes)
    {
        WriteBytes = bytes;
        WriteSeconds = profile.WriteSeconds(bytes);
        WriteJoules = profile.Joules(bytes);
    }
}
