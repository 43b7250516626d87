using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Replay;

/// <summary>One tier of a replayed chain: its profile and its capacity in blocks.</summary>
/// <param name="Profile">The tier's profile.</param>
/// <param name="CapacityBlocks">Capacity in blocks of the trace's block size.</param>
public readonly record struct TierSpec(TierProfile Profile, int CapacityBlocks);
