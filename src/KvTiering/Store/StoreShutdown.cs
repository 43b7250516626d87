namespace KvTiering.Store;

/// <summary>
/// An orderly end: <see cref="Flush"/> demotes every unpinned block above the lowest persistent (flash) tier down to
/// it and waits for the queued write-behind demotions to land; <see cref="Close"/> drains the write-behind worker,
/// flushes when the options ask for it, leaves the top tier's sequence odd for good (no lock-free read validates after
/// it) and releases every device.
/// </summary>
internal sealed class StoreShutdown
{
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly PersistentTiers _persistent;
    private readonly BlockMover _mover;
    private readonly WriteBehind _writeBehind;
    private readonly bool _flushOnDispose;

    public StoreShutdown(Tier[] tiers, TopTierReader top, PersistentTiers persistent, BlockMover mover, WriteBehind writeBehind,
        bool flushOnDispose)
    {
        _tiers = tiers;
        _top = top;
        _persistent = persistent;
        _mover = mover;
        _writeBehind = writeBehind;
        _flushOnDispose = flushOnDispose;
    }

    /// <summary>Demotes every unpinned block down to the lowest persistent tier; returns how many left the tiers above it.</summary>
    public int Flush(TieredKvStore store)
    {
        store.ThrowIfDisposed();
        int moved;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            moved = _persistent.Flush(_mover, _writeBehind);
        }

        _writeBehind.WaitIdle(); // demotions queued before the flush land too
        return moved;
    }

    /// <summary>Closes the store once; later calls do nothing.</summary>
    public void Close()
    {
        if (_top.IsDisposed)
        {
            return;
        }

        _writeBehind.Close(); // the queued demotions land on their tier before it closes
        lock (_top.Lock)
        {
            if (_top.IsDisposed)
            {
                return;
            }

            _top.BeginWrite(); // never ended: no lock-free read validates after this
            if (_flushOnDispose)
            {
                _top.Drain();
                _persistent.Flush(_mover, _writeBehind);
            }

            _top.MarkDisposed();
            TierDevices.DisposeAll(_tiers);
        }
    }
}
