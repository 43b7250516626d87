namespace KvTiering.Simulation.Traces;

/// <summary>The kinds of trace <see cref="TraceLoader"/> reads.</summary>
public enum TraceFormat
{
    /// <summary>
    /// Mooncake FAST'25 JSON lines: one request per line with a millisecond timestamp, token counts and chained
    /// 512-token block ids. No sessions.
    /// </summary>
    Mooncake,

    /// <summary>
    /// WEKA kv-cache-tester agent sessions: a directory of <c>trace_NNNN.json</c> or <c>.json.gz</c> files (or one
    /// such file), one agent session per file, replayed with staggered session starts. Each session file and each of
    /// its sub-agents gets its own session id, numbered densely in file-name order, then sub-agent order.
    /// </summary>
    Weka,

    /// <summary>
    /// A generated <see cref="Workloads.SyntheticAgentWorkload"/>; the path only names the trace and no file is read.
    /// </summary>
    Synthetic,

    /// <summary>libCacheSim's plain text: one object id per line.</summary>
    Txt,

    /// <summary>libCacheSim's csv, columns chosen by <see cref="TraceLoadOptions.Csv"/>.</summary>
    Csv,

    /// <summary>libCacheSim's oracleGeneral binary: 24-byte records (time, id, size, next access).</summary>
    OracleGeneral,

    /// <summary>Alibaba Bailian KV-cache traces: JSON lines of 16-token blocks, chained along each request.</summary>
    Bailian,
}
