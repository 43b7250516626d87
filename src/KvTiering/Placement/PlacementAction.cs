namespace KvTiering.Placement;

/// <summary>What a placement-ledger entry records. Moves change where a block lives; the others record a decision.</summary>
public enum PlacementAction : byte
{
    /// <summary>A new block entered a tier (move: outside → tier). Counted in <c>TierStatistics.Inserts</c>.</summary>
    Admit,

    /// <summary>The router kept a new block out of the store altogether (no move). Counted in <c>StoreStatistics.Bypassed</c>.</summary>
    Bypass,

    /// <summary>A tier's policy declined a block entering it (no move). Counted in <c>TierStatistics.Rejections</c>.</summary>
    Reject,

    /// <summary>A hit moved a block to a higher tier (move). Counted in <c>TierStatistics.Promotions</c> of the source tier.</summary>
    Promote,

    /// <summary>A victim moved one or more tiers down (move). Counted in <c>TierStatistics.Demotions</c> of the source tier.</summary>
    Demote,

    /// <summary>A victim left the store (move: tier → outside). Counted in <c>TierStatistics.Evictions</c>.</summary>
    Evict,

    /// <summary>A lower-tier hit was loaded because loading beats recomputing (no move; a promotion may follow).</summary>
    Load,

    /// <summary>
    /// A lower-tier hit was reported as a miss because recomputing beats loading; the slow copy leaves the store so the
    /// recomputed block is admitted afresh (move: tier → outside). Counted in <c>TierStatistics.Recomputes</c>.
    /// </summary>
    Recompute,

    /// <summary>
    /// A block its device could not read back left the store (move): counted in <c>TierStatistics.ChecksumFailures</c>
    /// (bytes failed verification), <c>LostBlocks</c> or <c>UnreachableReads</c> (a block being moved, whose move
    /// cannot wait), by the reason.
    /// </summary>
    Drop,

    /// <summary>A write into a tier failed (no move). Counted in <c>TierStatistics.WriteFailures</c>.</summary>
    WriteFailed,

    /// <summary>The caller removed a block (move: tier → outside).</summary>
    Remove,

    /// <summary>A block found on a persistent tier at start-up rejoined the store (move: outside → tier).</summary>
    Recover,

    /// <summary>
    /// A lookup or prefetch could not reach the device that holds a block, and the block stays where it is (no move):
    /// a remote server timing out or backing off most likely still has it. Counted in <c>TierStatistics.UnreachableReads</c>.
    /// </summary>
    Unreachable,
}
