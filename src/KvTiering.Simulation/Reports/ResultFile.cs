using System.Text.Json.Serialization;
using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Reports;

/// <summary>The JSON file of a run: its details and its results.</summary>
internal sealed record ResultFile
{
    [JsonPropertyName("run")]
    public RunDetails? Run { get; init; }

    [JsonPropertyName("results")]
    public IReadOnlyList<ReplayResult> Results { get; init; } = [];
}
