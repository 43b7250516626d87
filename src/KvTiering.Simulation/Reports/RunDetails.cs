using System.Text.Json.Serialization;

namespace KvTiering.Simulation.Reports;

/// <summary>
/// How a set of results was made, written beside them in the JSON (<see cref="ResultWriter.ToJson(IReadOnlyList{Replay.ReplayResult}, RunDetails)"/>)
/// so a number can be reproduced from the file alone.
/// </summary>
public sealed record RunDetails
{
    /// <summary>The trace's name or path.</summary>
    [JsonPropertyName("trace")]
    public required string Trace { get; init; }

    /// <summary>The trace format it was read as (mooncake, weka, synthetic, ...).</summary>
    [JsonPropertyName("format")]
    public required string Format { get; init; }

    /// <summary>Tokens per block.</summary>
    [JsonPropertyName("block_tokens")]
    public required int BlockTokens { get; init; }

    /// <summary>The trace's distinct blocks, against which percentage capacities resolve.</summary>
    [JsonPropertyName("unique_blocks")]
    public required int UniqueBlocks { get; init; }

    /// <summary>Whether session hints were delivered to the policies that read them.</summary>
    [JsonPropertyName("hints")]
    public required bool Hints { get; init; }

    /// <summary>The seed of the synthetic workload (null for recorded traces).</summary>
    [JsonPropertyName("seed")]
    public int? Seed { get; init; }

    /// <summary>Seconds between the starts of consecutive WEKA sessions (null for other formats).</summary>
    [JsonPropertyName("stagger_seconds")]
    public double? StaggerSeconds { get; init; }

    /// <summary>The command line that made the results, for reproducing them.</summary>
    [JsonPropertyName("command")]
    public string? Command { get; init; }

    /// <summary>
    /// The process's peak resident memory (Linux VmHWM, Windows peak working set) when the results were written: the
    /// parsed trace, its next-use index and every store of the run together, so with <c>--parallel 1</c> it bounds one
    /// replay's footprint.
    /// </summary>
    [JsonPropertyName("peak_working_set_bytes")]
    public long? PeakWorkingSetBytes { get; init; }

    /// <summary>The managed heap's size after the run's last collection (<see cref="GC.GetGCMemoryInfo()"/>), bytes.</summary>
    [JsonPropertyName("gc_heap_bytes")]
    public long? GcHeapBytes { get; init; }

    /// <summary>Bytes the process allocated on the managed heap over its life (parsing included).</summary>
    [JsonPropertyName("allocated_bytes")]
    public long? AllocatedBytes { get; init; }

    /// <summary>The kvtier version (assembly informational version).</summary>
    [JsonPropertyName("version")]
    public required string Version { get; init; }
}
