namespace KvTiering.LLamaSharp;

/// <summary>A snapshot of a <see cref="LlamaPrefixCache"/>'s counters.</summary>
public sealed record LlamaPrefixCacheStatistics
{
    /// <summary>Restore calls.</summary>
    public required long Lookups { get; init; }

    /// <summary>Restores that loaded a snapshot.</summary>
    public required long Hits { get; init; }

    /// <summary>Restores that loaded nothing (misses, corrupt and rejected snapshots).</summary>
    public required long Misses { get; init; }

    /// <summary>
    /// Snapshots found but not loaded because a piece failed verification (the store's checksum or seal, the manifest's,
    /// the payload's XxHash3, a chunk's length); each was removed. One missing a piece (evicted, or lost by its device) is
    /// removed too, but counted a miss.
    /// </summary>
    public required long CorruptSnapshots { get; init; }

    /// <summary>Verified snapshots llama.cpp refused (SetState returned 0) or could not trim; each restore fell back to prefill.</summary>
    public required long RejectedStates { get; init; }

    /// <summary>Prompt tokens restored instead of prefilled.</summary>
    public required long TokensRestored { get; init; }

    /// <summary>Prompt tokens the callers were told to prefill.</summary>
    public required long TokensToPrefill { get; init; }

    /// <summary>Snapshots stored.</summary>
    public required long Saves { get; init; }

    /// <summary>Bytes of sequence state stored.</summary>
    public required long StateBytesSaved { get; init; }

    /// <summary>Shorter snapshots removed because a save superseded them.</summary>
    public required long SupersededRemoved { get; init; }

    /// <summary>Snapshot copies to the shared tier that put every piece there (<see cref="SnapshotShare.Complete"/>).</summary>
    public long SharesComplete { get; init; }

    /// <summary>Snapshot copies that did not: a piece let go first, the tier down or failing, cancelled, the store closed.</summary>
    public long SharesIncomplete { get; init; }

    /// <summary>Hits ÷ lookups (0 when there were none).</summary>
    public double HitRate => Lookups == 0 ? 0 : (double)Hits / Lookups;
}
