using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Where the store reports blocks arriving in and leaving its tiers: every admission (including a demotion's arrival
/// in the lower tier and a promotion's arrival above), every departure (eviction, a demotion's departure, Remove, a
/// corrupt block's drop) and a whole-store <see cref="TieredKvStore.Clear"/>.
/// </summary>
/// <remarks>
/// Called under the store's lock, in the order the changes happen: an implementation must be cheap and must never
/// block (the KV-event feed hands each event to bounded per-subscriber queues and drops, counted, when one is full).
/// </remarks>
internal interface IBlockEventSink
{
    /// <summary>A block was bound to a slot of <paramref name="tier"/>.</summary>
    void OnStored(in BlockKey key, in BlockKey parent, int tier);

    /// <summary>A block left <paramref name="tier"/>.</summary>
    void OnRemoved(in BlockKey key, int tier);

    /// <summary>Every block left every tier at once; no per-block removals are reported for it.</summary>
    void OnCleared();
}
