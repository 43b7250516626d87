namespace KvTiering.Simulation.Traces;

/// <summary>Where a loaded trace came from (tests use it to see the cache work).</summary>
internal enum TraceSource
{
    /// <summary>Parsed from the trace files.</summary>
    Parsed,

    /// <summary>Read from the binary cache.</summary>
    Cache,

    /// <summary>Generated (synthetic workloads are never cached).</summary>
    Generated,
}
