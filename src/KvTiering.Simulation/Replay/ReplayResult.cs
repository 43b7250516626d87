using System.Text.Json.Serialization;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>The outcome of one (trace, policy, capacity) replay.</summary>
public sealed record ReplayResult
{
    /// <summary>Trace name.</summary>
    [JsonPropertyName("trace")]
    public required string Trace { get; init; }

    /// <summary>Policy name.</summary>
    [JsonPropertyName("policy")]
    public required string Policy { get; init; }

    /// <summary>Total capacity in blocks.</summary>
    [JsonPropertyName("capacity_blocks")]
    public required int CapacityBlocks { get; init; }

    /// <summary>Capacity as a fraction of the trace's unique blocks.</summary>
    [JsonPropertyName("capacity_fraction")]
    public required double CapacityFraction { get; init; }

    /// <summary>Σ token hits ÷ Σ input tokens; a request's token hits = min(prefix blocks × block size, input tokens).</summary>
    [JsonPropertyName("token_hit_rate")]
    public required double TokenHitRate { get; init; }

    /// <summary>Blocks resident at their request's arrival ÷ blocks referenced.</summary>
    [JsonPropertyName("block_hit_rate")]
    public required double BlockHitRate { get; init; }

    /// <summary>Requests replayed.</summary>
    [JsonPropertyName("requests")]
    public required long Requests { get; init; }

    /// <summary>Block references replayed.</summary>
    [JsonPropertyName("references")]
    public required long References { get; init; }

    /// <summary>Input tokens in all.</summary>
    [JsonPropertyName("input_tokens")]
    public required long InputTokens { get; init; }

    /// <summary>Input tokens served from cache.</summary>
    [JsonPropertyName("hit_tokens")]
    public required long HitTokens { get; init; }

    /// <summary>Wall-clock seconds of the replay (after parsing).</summary>
    [JsonPropertyName("elapsed_seconds")]
    public required double ElapsedSeconds { get; init; }

    /// <summary>Block references per second of wall-clock time.</summary>
    [JsonPropertyName("references_per_second")]
    public required double ReferencesPerSecond { get; init; }

    /// <summary>Per-tier outcome (one entry for a single-tier replay).</summary>
    [JsonPropertyName("tiers")]
    public required IReadOnlyList<TierReplayResult> Tiers { get; init; }

    /// <summary>Σ modeled time-to-first-token with the cache: hit blocks loaded from their tiers, the rest recomputed (needs a model).</summary>
    [JsonPropertyName("modeled_ttft_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ModeledTtftSeconds { get; init; }

    /// <summary>Σ modeled time-to-first-token with no cache: every input token recomputed (needs a model).</summary>
    [JsonPropertyName("modeled_ttft_no_cache_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ModeledTtftNoCacheSeconds { get; init; }

    /// <summary>
    /// Σ prefill compute seconds the cache saved (needs a model): full recompute less what was still recomputed. Ranks
    /// policies by the compute they save rather than the tokens they hit: a deep block saves more than a shallow one.
    /// </summary>
    [JsonPropertyName("prefill_seconds_saved")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PrefillSecondsSaved { get; init; }

    /// <summary>New blocks the placement router kept out of the store (with routing only).</summary>
    [JsonPropertyName("bypassed_blocks")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BypassedBlocks { get; init; }

    /// <summary>Per label class: requests, hit rate and modeled time-to-first-token (with labels only).</summary>
    [JsonPropertyName("label_classes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LabelClassResult>? LabelClasses { get; init; }

    /// <summary>Σ modeled joules of loading the hit blocks out of their tiers (needs a model).</summary>
    [JsonPropertyName("modeled_load_joules")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ModeledLoadJoules { get; init; }
}
