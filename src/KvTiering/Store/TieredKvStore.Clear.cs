namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Removes every block from every tier, pinned or not (what a server does when its model or weights change, as
    /// vLLM's <c>reset_prefix_cache</c>). Subscribers to <see cref="Events"/> get one
    /// <see cref="Events.KvEventKind.AllCleared"/> instead of a removal per block.
    /// </summary>
    public void Clear()
    {
        ThrowIfDisposed();
        using (EnterWrite())
        {
            ThrowIfDisposed();
            DrainAccesses(); // queued hits name slots about to be freed
            foreach (Tier tier in _tiers)
            {
                for (int slot = 0; slot < tier.Capacity; slot++)
                {
                    int e = tier.SlotToEntry[slot];
                    if (e >= 0 && _table.Stamps[e] != 0 && _table.Tier[e] == tier.Index && _table.Slot[e] == slot)
                    {
                        Release(e, tier);
                        _table.Remove(e);
                    }
                }

                tier.PinnedCount = 0;
            }

            _eventSink.OnCleared();
        }
    }
}
