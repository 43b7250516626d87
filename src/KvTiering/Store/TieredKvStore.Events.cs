using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// The store's KV events: subscribe to learn of every block stored into or removed from any tier (see
    /// docs/kv-events.md; <c>KvTiering.KvEvents</c> publishes them on vLLM's ZeroMQ wire format).
    /// </summary>
    public KvEventFeed Events => _events;

    /// <summary>Runs <paramref name="action"/> under the store's lock with every resident block and its tier.</summary>
    internal void WithResidentBlocks(Action<IEnumerable<(BlockKey Key, BlockKey Parent, int Tier, TierKind Medium)>> action)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            action(Resident());
        }
    }

    private IEnumerable<(BlockKey, BlockKey, int, TierKind)> Resident()
    {
        // Tier by tier, each in slot order: parents are not guaranteed before children, and subscribers must not rely
        // on it (vLLM's own events make no such promise across requests either).
        foreach (Tier tier in _tiers)
        {
            for (int slot = 0; slot < tier.Capacity; slot++)
            {
                int e = tier.SlotToEntry[slot];
                if (e >= 0 && _table.Tier[e] == tier.Index && _table.Slot[e] == slot)
                {
                    yield return (_table.Keys[e], _table.Parents[e], tier.Index, tier.Profile.Kind);
                }
            }
        }
    }
}
