namespace KvTiering.Placement;

/// <summary>Why a placement-ledger entry happened (docs/placement.md lists each with its rule).</summary>
public enum PlacementReason : byte
{
    /// <summary>No reason recorded.</summary>
    None,

    /// <summary>Entry: no rule moved the block down, so it enters the top tier.</summary>
    TopTier,

    /// <summary>Entry: a batch block enters the first tier at or below the router's batch entry kind (DRAM by default).</summary>
    BatchBelowAccelerator,

    /// <summary>Entry: batch, and no tier at or below the batch entry kind; the block is not admitted.</summary>
    BatchNoLowerTier,

    /// <summary>Entry: batch, and no tier at or below the batch entry kind; the block enters the lowest tier.</summary>
    BatchLowestTier,

    /// <summary>Entry: a long-context block skips on-chip SRAM, which one long context would flush.</summary>
    LongContextBelowSram,

    /// <summary>Entry: a rule of the router options' custom entry hook.</summary>
    Custom,

    /// <summary>Admit: the routed tier (and any below it before this one) declined or had no evictable room.</summary>
    HigherTierRefused,

    /// <summary>Reject: the tier's eviction policy declined the block.</summary>
    PolicyDeclined,

    /// <summary>Demote or evict: the tier's eviction policy chose the block as its victim.</summary>
    EvictionVictim,

    /// <summary>Evict: a victim that no lower tier would take (declined, or no evictable room).</summary>
    LowerTiersRefused,

    /// <summary>Promote: a hit in a lower tier moved the block up.</summary>
    PromotedOnHit,

    /// <summary>Load: loading the block takes less modeled time than recomputing it at its depth.</summary>
    LoadFaster,

    /// <summary>Recompute: recomputing the block at its depth takes less modeled time than loading it.</summary>
    RecomputeFaster,

    /// <summary>Load (edge): loading the block costs less modeled energy than recomputing it.</summary>
    LoadCheaperEnergy,

    /// <summary>Recompute (edge): recomputing the block costs less modeled energy than loading it.</summary>
    RecomputeCheaperEnergy,

    /// <summary>Load: the router has no cost model, so every hit is loaded.</summary>
    NoCostModel,

    /// <summary>Load: the block is pinned, so it is never dropped for recompute.</summary>
    Pinned,

    /// <summary>Drop: the block's bytes failed their checksum or header check.</summary>
    ChecksumFailure,

    /// <summary>WriteFailed or evict: a device write failed (disk full, I/O error).</summary>
    WriteFailure,

    /// <summary>Remove: the caller removed the block.</summary>
    UserRemove,

    /// <summary>Recover: the block was found on a persistent tier at start-up.</summary>
    Recovered,

    /// <summary>Reject: the tier's write-behind queue was full, so the demotion went further down or was dropped (no longer noted: a full queue now writes on the put's path).</summary>
    WriteBehindFull,

    /// <summary>Evict: the tier's policy knew the victim dead (<see cref="Eviction.IKnowsDeadBlocks"/>), so it left the store rather than move down.</summary>
    KnownDead,

    /// <summary>Drop: the device no longer had the block (a slot emptied or overwritten, a remote key evicted, a server restarted empty).</summary>
    BlockLost,

    /// <summary>
    /// Drop: the device could not be reached (a remote server down or timing out). Reject or evict: the tier's device
    /// could not take a write then (<see cref="Devices.IWriteAvailability"/>), so a put, a victim or a promotion passed
    /// it over.
    /// </summary>
    DeviceUnreachable,
}
