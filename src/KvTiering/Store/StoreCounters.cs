using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// The store's one accounting path: lookups, hits, puts and bypasses of the whole store, and every tier's bytes moved
/// with their modeled seconds and joules. Locked reads, queued lock-free hits and the lock-free paths' striped counts
/// all book here, and <see cref="TieredKvStore.GetStatistics"/> and the meter read only this.
/// </summary>
/// <remarks>Every member is called under the store's lock.</remarks>
internal sealed class StoreCounters
{
    private readonly bool _metadataOnly;
    private readonly long _nominalBlockBytes;

    public StoreCounters(bool metadataOnly, long nominalBlockBytes)
    {
        _metadataOnly = metadataOnly;
        _nominalBlockBytes = nominalBlockBytes;
    }

    /// <summary>Lookups (<c>TryGet</c>s), hit or miss.</summary>
    public long Lookups;

    /// <summary>Lookups that found their block, in any tier (a shared remote tier included).</summary>
    public long Hits;

    /// <summary>Blocks offered by <c>Put</c> or <c>OfferRequest</c>.</summary>
    public long Puts;

    /// <summary>New blocks a placement router kept out of every tier.</summary>
    public long Bypassed;

    /// <summary>The bytes a move or hit of <paramref name="bytes"/> books (a metadata-only store books the layout's block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Moved(int bytes) => _metadataOnly ? _nominalBlockBytes : bytes;

    /// <summary>Books a read of one block out of <paramref name="tier"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Read(Tier tier, int bytes)
    {
        long moved = Moved(bytes);
        ref TierCounters c = ref tier.Counters;
        c.BytesRead += moved;
        ref TierCosts costs = ref tier.Costs;
        if (moved != costs.ReadBytes)
        {
            // Nearly every read moves a whole block: cost it once, not per hit (the profile's math divides twice).
            costs.CostRead(tier.Profile, moved);
        }

        c.ModeledSeconds += costs.ReadSeconds;
        c.ModeledJoules += costs.ReadJoules;
    }

    /// <summary>Books a write of one block into <paramref name="tier"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(Tier tier, int bytes)
    {
        long moved = Moved(bytes);
        ref TierCounters c = ref tier.Counters;
        c.BytesWritten += moved;
        ref TierCosts costs = ref tier.Costs;
        if (moved != costs.WriteBytes)
        {
            costs.CostWrite(tier.Profile, moved); // as reads: every write of a replay moves one block size, so cost it once
        }

        c.ModeledSeconds += costs.WriteSeconds;
        c.ModeledJoules += costs.WriteJoules;
    }

    /// <summary>
    /// Books a batch of queued lock-free hits of the top tier as the locked path would have: the same additions in the
    /// same order, summed in registers.
    /// </summary>
    public void QueuedHits(Tier top, ReadOnlySpan<QueuedHit> hits)
    {
        ref TierCounters c = ref top.Counters;
        long bytesRead = c.BytesRead;
        double seconds = c.ModeledSeconds;
        double joules = c.ModeledJoules;
        ref TierCosts costs = ref top.Costs;
        foreach (ref readonly QueuedHit hit in hits)
        {
            long moved = Moved(hit.Bytes);
            if (moved != costs.ReadBytes)
            {
                costs.CostRead(top.Profile, moved);
            }

            bytesRead += moved;
            seconds += costs.ReadSeconds;
            joules += costs.ReadJoules;
        }

        c.BytesRead = bytesRead;
        c.ModeledSeconds = seconds;
        c.ModeledJoules = joules;
        c.Hits += hits.Length;
        Lookups += hits.Length;
        Hits += hits.Length;
    }

    /// <summary>
    /// Books the lock-free misses, and the lock-free hits and resident puts that queued nothing (a top tier with
    /// reference bits), as the locked path would have. Call before reading the counters.
    /// </summary>
    public void Fold(ref LockFreeCounts counts, Tier top)
    {
        (long hits, long bytes, long misses, long puts) = counts.TakeNew();
        Lookups += misses;
        Puts += puts;
        top.Counters.Hits += puts; // a resident put counts as an access of its tier, as in the locked path
        top.Counters.ResidentPuts += puts;
        if (hits == 0)
        {
            return;
        }

        ref TierCounters c = ref top.Counters;
        if (_metadataOnly)
        {
            bytes = hits * _nominalBlockBytes;
        }

        c.Hits += hits;
        c.BytesRead += bytes;
        c.ModeledSeconds += top.Profile.ReadSeconds(hits, bytes);
        c.ModeledJoules += top.Profile.Joules(bytes);
        Lookups += hits;
        Hits += hits;
    }

    /// <summary>A snapshot of the store's counters and every tier's.</summary>
    public StoreStatistics Snapshot(Tier[] tiers, int residentBlocks)
    {
        var stats = new TierStatistics[tiers.Length];
        for (int i = 0; i < stats.Length; i++)
        {
            Tier t = tiers[i];
            ref TierCounters c = ref t.Counters;
            stats[i] = new TierStatistics
            {
                Tier = i,
                Name = t.Profile.Name,
                Policy = t.Policy.Name,
                CapacityBlocks = t.Capacity,
                ResidentBlocks = t.Count,
                PinnedBlocks = t.PinnedCount,
                Hits = c.Hits,
                BytesRead = c.BytesRead,
                BytesWritten = c.BytesWritten,
                Inserts = c.Inserts,
                Promotions = c.Promotions,
                Demotions = c.Demotions,
                Evictions = c.Evictions,
                Rejections = c.Rejections,
                ChecksumFailures = c.ChecksumFailures,
                LostBlocks = c.LostBlocks,
                UnreachableReads = c.UnreachableReads,
                UnreachableWrites = c.UnreachableWrites,
                UnreachableFetches = c.UnreachableFetches,
                StagedHits = c.StagedHits,
                ResidentPuts = c.ResidentPuts,
                WriteFailures = c.WriteFailures,
                Recomputes = c.Recomputes,
                WriteBehindDrops = c.WriteBehindDrops,
                WriteBehindOverflows = c.WriteBehindOverflows,
                DeadDrops = c.DeadDrops,
                SetAsideSlots = t.SetAsideSlots,
                ModeledSeconds = c.ModeledSeconds,
                ModeledJoules = c.ModeledJoules,
            };
        }

        return new StoreStatistics
        {
            Lookups = Lookups,
            Hits = Hits,
            Misses = Lookups - Hits,
            Puts = Puts,
            Bypassed = Bypassed,
            ResidentBlocks = residentBlocks,
            Tiers = stats,
        };
    }
}
