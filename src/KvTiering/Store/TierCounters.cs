namespace KvTiering.Store;

/// <summary>Mutable per-tier counters, written under the store's lock and copied out into <see cref="TierStatistics"/>.</summary>
internal struct TierCounters
{
    public long Hits;
    public long BytesRead;
    public long BytesWritten;
    public long Inserts;
    public long Promotions;
    public long Demotions;
    public long Evictions;
    public long Rejections;
    public long ChecksumFailures;
    public long WriteFailures;
    public long Recomputes;
    public long WriteBehindDrops;
    public long WriteBehindOverflows;
    public long DeadDrops;
    public double ModeledSeconds;
    public double ModeledJoules;

    // Last, so the fields a put and a hit touch keep their offsets (these two change only when a read fails).
    public long LostBlocks;
    public long UnreachableReads;
    public long UnreachableWrites;
    public long UnreachableFetches;
    public long StagedHits;
    public long ResidentPuts;
}
