using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The top-tier hits the lock-free path served and has not told the policy about yet: a bounded ring readers append
/// to without the lock, drained under the lock (before the next change or statistics snapshot) into the tier's policy
/// and the counters, in order, so the policy sees every access exactly as the locked path would have shown it.
/// </summary>
/// <remarks>
/// Deferred recency updates are BP-Wrapper (Ding et al., "BP-Wrapper: A System Framework Making Any Replacement
/// Algorithms (Almost) Lock Contention Free", ICDE 2009), as in Caffeine and BitFaster.Caching's ConcurrentLfu.
/// A queued hit whose block left the top tier meanwhile still counts as a hit but is not replayed to the policy.
/// </remarks>
internal sealed class QueuedHits
{
    private const int Capacity = 1024;

    private readonly BlockTable _table;
    private readonly Tier _top;
    private readonly StoreCounters _counters;
    private readonly StoreClock _clock;
    private readonly AccessRing _ring = new(Capacity);
    private readonly QueuedHit[] _drained = new QueuedHit[Capacity];
    private readonly int[] _slots = new int[Capacity];

    public QueuedHits(BlockTable table, Tier top, StoreCounters counters, StoreClock clock)
    {
        _table = table;
        _top = top;
        _counters = counters;
        _clock = clock;
    }

    /// <summary>Whether nothing is waiting (a hint: a concurrent reader may be appending).</summary>
    public bool IsEmpty => _ring.IsEmpty;

    /// <summary>Queues a hit read at <paramref name="version"/>; false when the ring is full (the reader then takes the lock).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(in BlockKey key, int entry, long version, int bytes) => _ring.TryAdd(key, entry, version, bytes);

    /// <summary>
    /// Books each queued hit as the locked path would have and hands the policy the slots of those whose block is
    /// still the one that was hit and still in the top tier: certain when no writer ran since the read (the hit's
    /// version is <paramref name="version"/>, the current one), checked by key otherwise. Call under the lock.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Drain(long version)
    {
        Span<QueuedHit> hits = _drained.AsSpan(0, _ring.Drain(_drained));
        _counters.QueuedHits(_top, hits);
        BlockTable table = _table;
        int[] slots = _slots;
        int live = 0;
        foreach (ref readonly QueuedHit hit in hits)
        {
            int e = hit.Entry;
            if (hit.Version == version || (table.Keys[e].Equals(hit.Key) && table.Stamps[e] != 0 && table.Tier[e] == 0))
            {
                slots[live++] = table.Slot[e];
            }
        }

        // The policies see the batch at drain time; one clock reading serves it all.
        _clock.BeginBatch();
        try
        {
            _top.OnAccessMany(slots.AsSpan(0, live));
        }
        finally
        {
            _clock.EndBatch();
        }
    }
}
