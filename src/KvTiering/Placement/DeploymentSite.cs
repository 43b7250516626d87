namespace KvTiering.Placement;

/// <summary>Where the workload runs.</summary>
public enum DeploymentSite : byte
{
    /// <summary>Not labelled.</summary>
    Unspecified,

    /// <summary>At the edge: power and thermal budget bound, energy per request matters most.</summary>
    Edge,

    /// <summary>In a data center: latency and throughput matter most.</summary>
    DataCenter,
}
