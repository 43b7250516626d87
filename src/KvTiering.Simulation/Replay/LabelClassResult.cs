using System.Text.Json.Serialization;

namespace KvTiering.Simulation.Replay;

/// <summary>One label class's share of a labelled replay: its requests, its hit rate and its modeled time-to-first-token.</summary>
public sealed record LabelClassResult
{
    /// <summary>The class's labels in text form (e.g. "long,interactive"; "unlabeled").</summary>
    [JsonPropertyName("labels")]
    public required string Labels { get; init; }

    /// <summary>Requests with these labels.</summary>
    [JsonPropertyName("requests")]
    public required long Requests { get; init; }

    /// <summary>Their input tokens.</summary>
    [JsonPropertyName("input_tokens")]
    public required long InputTokens { get; init; }

    /// <summary>Their input tokens resident at arrival (as <see cref="ReplayResult.HitTokens"/>).</summary>
    [JsonPropertyName("hit_tokens")]
    public required long HitTokens { get; init; }

    /// <summary>Hit tokens ÷ input tokens.</summary>
    [JsonPropertyName("token_hit_rate")]
    public double TokenHitRate => InputTokens == 0 ? 0 : (double)HitTokens / InputTokens;

    /// <summary>Σ modeled time-to-first-token of the class (needs a model).</summary>
    [JsonPropertyName("modeled_ttft_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ModeledTtftSeconds { get; init; }

    /// <summary>Mean modeled time-to-first-token per request of the class (needs a model).</summary>
    [JsonPropertyName("mean_modeled_ttft_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MeanModeledTtftSeconds => ModeledTtftSeconds is { } s && Requests > 0 ? s / Requests : null;
}
