namespace KvTiering.Store;

/// <summary>What <see cref="TieredKvStore.TryGetAsync"/> found.</summary>
/// <param name="Found">Whether the block was resident and its bytes verified.</param>
/// <param name="BytesWritten">The payload length written into the destination (0 on a miss).</param>
/// <param name="Tier">The tier that served the hit, or -1.</param>
public readonly record struct BlockRead(bool Found, int BytesWritten, int Tier);
