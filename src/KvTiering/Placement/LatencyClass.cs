namespace KvTiering.Placement;

/// <summary>Whether someone waits on the first token.</summary>
public enum LatencyClass : byte
{
    /// <summary>Not labelled.</summary>
    Unspecified,

    /// <summary>A user or an agent loop waits: time-to-first-token matters.</summary>
    Interactive,

    /// <summary>Offline or one-off work (batch documents, evaluations): throughput matters, latency does not.</summary>
    Batch,
}
