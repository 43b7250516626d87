namespace KvTiering.Events;

/// <summary>What happened to a block, in the terms of vLLM's KV events.</summary>
public enum KvEventKind : byte
{
    /// <summary>A block arrived in a tier: admitted, demoted into it, promoted into it, or recovered at open.</summary>
    Stored,

    /// <summary>A block left a tier: evicted, demoted or promoted out of it, removed, or dropped as corrupt.</summary>
    Removed,

    /// <summary>Everything this subscriber was told before is void (the first event of a snapshot subscription).</summary>
    AllCleared,
}
