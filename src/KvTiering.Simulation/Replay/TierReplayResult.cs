using System.Text.Json.Serialization;

namespace KvTiering.Simulation.Replay;

/// <summary>One tier's share of a replay.</summary>
public sealed record TierReplayResult
{
    /// <summary>Tier name (profile name).</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Capacity in blocks.</summary>
    [JsonPropertyName("capacity_blocks")]
    public required int CapacityBlocks { get; init; }

    /// <summary>Prefix blocks this tier held at their request's arrival.</summary>
    [JsonPropertyName("prefix_hit_blocks")]
    public required long PrefixHitBlocks { get; init; }

    /// <summary>Modeled bytes read out of the tier.</summary>
    [JsonPropertyName("bytes_read")]
    public required long BytesRead { get; init; }

    /// <summary>Modeled bytes written into the tier.</summary>
    [JsonPropertyName("bytes_written")]
    public required long BytesWritten { get; init; }

    /// <summary>Promotions out of this tier.</summary>
    [JsonPropertyName("promotions")]
    public required long Promotions { get; init; }

    /// <summary>Demotions out of this tier.</summary>
    [JsonPropertyName("demotions")]
    public required long Demotions { get; init; }

    /// <summary>Blocks dropped from the store out of this tier.</summary>
    [JsonPropertyName("evictions")]
    public required long Evictions { get; init; }

    /// <summary>
    /// Victims its policy knew dead that left the store instead of moving down (counted in <see cref="Evictions"/>
    /// too); written only when not zero, so a single tier's result reads as before.
    /// </summary>
    [JsonPropertyName("dead_drops")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long DeadDrops { get; init; }

    /// <summary>Input tokens served from this tier: prefix blocks it held at arrival and loaded (last block clipped to the input).</summary>
    [JsonPropertyName("served_tokens")]
    public long ServedTokens { get; init; }

    /// <summary>Input tokens of prefix blocks this tier held at arrival that the placement router recomputed instead.</summary>
    [JsonPropertyName("recomputed_tokens")]
    public long RecomputedTokens { get; init; }

    /// <summary>Blocks the placement router recomputed rather than load from this tier.</summary>
    [JsonPropertyName("recomputes")]
    public long Recomputes { get; init; }

    /// <summary>Modeled seconds moving bytes in this tier.</summary>
    [JsonPropertyName("modeled_seconds")]
    public required double ModeledSeconds { get; init; }

    /// <summary>Modeled joules moving bytes in this tier.</summary>
    [JsonPropertyName("modeled_joules")]
    public required double ModeledJoules { get; init; }
}
