using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.Put(in BlockKey, in BlockKey, ReadOnlySpan{byte}, in BlockContext)"/>'s way in: the key and
/// payload checked; a block already resident in a top tier with reference bits only touched, with no lock
/// (<see cref="TopTierReader.TryTouchResident"/>); a payload store's put handed to <see cref="ReservedPut"/>, which
/// waits while the write-behind queue is full (<see cref="WriteBehindRoom.WaitForRoom"/>) and copies outside the lock; a
/// metadata-only store's put run by <see cref="TierChain.Put"/> under one hold.
/// </summary>
internal sealed class PutIntake
{
    private readonly TopTierReader _top;
    private readonly ReservedPut? _reserved;
    private readonly TierChain _chain;
    private readonly StoreCounters _counters;
    private readonly bool _metadataOnly;
    private readonly int _blockBytes;

    public PutIntake(TopTierReader top, ReservedPut? reserved, TierChain chain, StoreCounters counters, bool metadataOnly,
        int blockBytes)
    {
        _top = top;
        _reserved = reserved;
        _chain = chain;
        _counters = counters;
        _metadataOnly = metadataOnly;
        _blockBytes = blockBytes;
    }

    /// <summary>Checks and stores one block; the arguments are <see cref="TieredKvStore.Put(in BlockKey, in BlockKey, ReadOnlySpan{byte}, in BlockContext)"/>'s.</summary>
    public PutResult Put(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        store.ThrowIfDisposed();
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        if (_metadataOnly ? !kv.IsEmpty : (kv.IsEmpty || kv.Length > _blockBytes))
        {
            ThrowHelper.ThrowPayloadLength(nameof(kv), kv.Length, _blockBytes);
        }

        if (_top.HasReferenceBits && _top.TryTouchResident(key, context))
        {
            return PutResult.AlreadyPresent;
        }

        if (_reserved is { } reserved)
        {
            return reserved.Put(store, key, parent, kv, context); // payloads: the byte copies run outside the lock
        }

        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            _counters.Puts++;
            return _chain.Put(key, parent, kv, context);
        }
    }
}
