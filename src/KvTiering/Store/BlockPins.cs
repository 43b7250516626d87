using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Pins asked for by key (<see cref="TieredKvStore.Pin"/>, <see cref="TieredKvStore.Unpin"/>,
/// <see cref="TieredKvStore.IsPinned"/>): the key found under the store's lock, the pin itself and each tier's pin
/// budget left to <see cref="TierChain"/>, which decides what a pin means for a block's moves.
/// </summary>
internal sealed class BlockPins
{
    private readonly BlockTable _table;
    private readonly TierChain _chain;
    private readonly TopTierReader _top;

    public BlockPins(BlockTable table, TierChain chain, TopTierReader top)
    {
        _table = table;
        _chain = chain;
        _top = top;
    }

    /// <summary>Pins a resident block; false when it is absent or its tier's pin budget is spent.</summary>
    public bool Pin(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            return e >= 0 && _chain.Pin(e);
        }
    }

    /// <summary>Releases one pin; false when the block is absent or not pinned.</summary>
    public bool Unpin(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            return e >= 0 && _chain.Unpin(e);
        }
    }

    /// <summary>Whether the block is resident and pinned.</summary>
    public bool IsPinned(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            int e = _table.Find(key);
            return e >= 0 && _table.Pins[e] > 0;
        }
    }
}
