using KvTiering.Simulation.Workloads;

namespace KvTiering.Simulation.Traces;

/// <summary>How <see cref="TraceLoader"/> reads, caches or generates a trace.</summary>
public sealed record TraceLoadOptions
{
    /// <summary>
    /// WEKA: seconds between the starts of consecutive sessions (session <c>i</c>, in file-name order, starts at
    /// <c>i × StaggerSeconds</c>). Default 30.
    /// </summary>
    public double StaggerSeconds { get; init; } = 30;

    /// <summary>
    /// WEKA: treat each session's leading tool-definition blocks (<c>tool_tokens / block_size</c> of them, taken from
    /// its first request) as one block per position shared by every session, as a deployment whose sessions run one
    /// client version would see them. Default false: sessions share nothing.
    /// </summary>
    public bool SharedToolPrefix { get; init; }

    /// <summary>
    /// WEKA: read only the session files whose position in file-name order (from 0) leaves remainder
    /// <see cref="SessionRemainder"/> when divided by this; the kept sessions start <see cref="StaggerSeconds"/> apart
    /// as a whole trace's do, so a half replays at the full trace's density. Default 1: every file. Lets a policy be
    /// tuned on one half of the sessions and reported on the other (<c>simulate --sessions even|odd</c>).
    /// </summary>
    public int SessionModulus { get; init; } = 1;

    /// <summary>WEKA: with <see cref="SessionModulus"/>, which files to keep (0 ≤ remainder &lt; modulus).</summary>
    public int SessionRemainder { get; init; }

    /// <summary>
    /// WEKA: give every sub-agent its own hash-id namespace. Default false: a session file is one namespace, because
    /// in the published files sibling sub-agents reuse the same ids for their common prompt prefix (and a sub-agent
    /// never reuses its parent's ids), so the ids are file-scoped.
    /// </summary>
    public bool IsolateSubagentHashes { get; init; }

    /// <summary>
    /// Where parsed traces are cached; null means <c>Path.Combine(Path.GetTempPath(), "kvtiering-trace-cache")</c>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Whether to reuse (and write) the binary cache of a parsed trace. Default true.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// The most bytes the cache directory keeps: after a trace is written to it, the least recently used other
    /// entries are deleted until the rest fit. Default 4 GiB (a WEKA entry is 100–250 MB).
    /// </summary>
    public long CacheBudgetBytes { get; init; } = TraceCachePruner.DefaultBudgetBytes;

    /// <summary>Settings of the generated workload for <see cref="TraceFormat.Synthetic"/>; null means defaults.</summary>
    public SyntheticAgentOptions? Synthetic { get; init; }

    /// <summary>The cache directory these options resolve to.</summary>
    /// <summary>The columns of a <see cref="TraceFormat.Csv"/> trace (default: object id in column 1, no time, no header).</summary>
    public CsvTraceOptions? Csv { get; init; }

    internal string ResolvedCacheDirectory =>
        CacheDirectory ?? Path.Combine(Path.GetTempPath(), "kvtiering-trace-cache");

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate()
    {
        if (CacheBudgetBytes < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(CacheBudgetBytes), CacheBudgetBytes,
                $"CacheBudgetBytes must be ≥ 0, not {CacheBudgetBytes}.");
        }

        if (!double.IsFinite(StaggerSeconds) || StaggerSeconds < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(StaggerSeconds), StaggerSeconds,
                $"StaggerSeconds must be a finite number ≥ 0, not {StaggerSeconds}.");
        }

        if (SessionModulus < 1 || SessionRemainder < 0 || SessionRemainder >= SessionModulus)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(SessionRemainder), SessionRemainder,
                $"SessionRemainder must be in [0, SessionModulus) and SessionModulus ≥ 1, not {SessionRemainder} and {SessionModulus}.");
        }
    }
}
