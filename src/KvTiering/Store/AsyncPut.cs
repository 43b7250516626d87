using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.PutAsync"/>'s choice of path: a cancelled call ends before anything starts; a metadata-only
/// store, or input the synchronous put rejects, takes <see cref="TieredKvStore.Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>
/// (which reports it); a block already resident in a top tier with reference bits is only touched; every other block
/// goes to <see cref="ReservedPut.PutAsync"/>, which copies outside the lock and awaits an
/// <see cref="IAsyncBlockDevice"/>'s write, once the write-behind queue has room (awaited, no thread held; a
/// cancellation ends that wait, before anything starts).
/// </summary>
internal sealed class AsyncPut
{
    private readonly ReservedPut? _reserved;
    private readonly TopTierReader _top;
    private readonly int _blockBytes;

    public AsyncPut(ReservedPut? reserved, TopTierReader top, int blockBytes)
    {
        _reserved = reserved;
        _top = top;
        _blockBytes = blockBytes;
    }

    /// <summary>Stores a block asynchronously; the arguments are <see cref="TieredKvStore.PutAsync"/>'s.</summary>
    public ValueTask<PutResult> PutAsync(TieredKvStore store, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PutResult>(cancellationToken);
        }

        store.ThrowIfDisposed();
        if (_reserved is not { } reserved || key.IsEmpty || kv.IsEmpty || kv.Length > _blockBytes)
        {
            return ValueTask.FromResult(store.Put(key, parent, kv.Span)); // metadata-only, or bad input the put reports
        }

        if (_top.HasReferenceBits && _top.TryTouchResident(key, BlockContext.None))
        {
            return ValueTask.FromResult(PutResult.AlreadyPresent);
        }

        return reserved.PutAsync(store, key, parent, kv, BlockContext.None, cancellationToken);
    }
}
