namespace KvTiering.Store;

/// <summary>What <see cref="TieredKvStore.TryGetAsync"/> found.</summary>
/// <param name="Found">Whether the block was resident and its bytes verified.</param>
/// <param name="BytesWritten">The payload length written into the destination (0 on a miss).</param>
/// <param name="Tier">The tier that served the hit, or -1.</param>
public readonly record struct BlockRead(bool Found, int BytesWritten, int Tier)
{
    /// <summary>A miss for <paramref name="cause"/>: nothing written, no tier.</summary>
    internal static BlockRead Missed(BlockMiss cause) => new(false, 0, -1) { Miss = cause };

    /// <summary>
    /// Why the read missed; <see cref="BlockMiss.None"/> on a hit. Told apart only on the miss's slow path, where the
    /// store already asks the device why its read failed: a hit costs nothing more.
    /// </summary>
    public BlockMiss Miss { get; init; }
}
