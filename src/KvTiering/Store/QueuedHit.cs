using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>A hit on <see cref="Key"/> at table entry <see cref="Entry"/>, read at store version <see cref="Version"/>.</summary>
internal readonly record struct QueuedHit(BlockKey Key, long Version, int Entry, int Bytes);
