using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The residency questions a shared tier answers for blocks the table does not index: how far a prefix that stopped
/// locally continues there (<see cref="Query"/>) and which keys of a set it holds (<see cref="Held"/>,
/// <see cref="HeldAsync"/>). Each is one network round trip, so each runs outside the store's lock, with a place in the
/// device's read window (shared with lookups and batches) and announced as a store reader, so <c>Dispose</c> waits for
/// it. Fetching a block is <see cref="RemoteProbe"/>'s job; this moves nothing.
/// </summary>
internal sealed class RemoteQueries
{
    private readonly TopTierReader _top;
    private readonly Tier? _tier;
    private readonly IRemoteBlockSource? _source;

    public RemoteQueries(Tier? tier, TopTierReader top)
    {
        _top = top;
        _tier = tier;
        _source = tier?.Device as IRemoteBlockSource;
    }

    /// <summary>Whether there is a shared tier to ask (a lock-free miss is then never final).</summary>
    public bool MayHaveMore => _source is not null;

    /// <summary>The shared tier's index, or -1 without one.</summary>
    public int TierIndex => _tier?.Index ?? -1;

    /// <summary>
    /// Extends a prefix match that stopped locally at <paramref name="next"/> with the blocks the shared tier holds. The
    /// window's place is waited for, blocking, as a synchronous lookup waits (before probe29 the lock ran one query at a
    /// time).
    /// </summary>
    /// <returns>The index of the first key from <paramref name="next"/> on that the shared tier lacks.</returns>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public int Query(TieredKvStore store, ReadOnlySpan<BlockKey> keys, int next)
    {
        _tier!.ReadWindow?.Enter();
        Announce(store);
        try
        {
            return next + _source!.MatchPrefix(keys[next..]);
        }
        finally
        {
            Ended();
        }
    }

    /// <summary>Which of <paramref name="keys"/> the shared tier holds, in the source's one query
    /// (<see cref="IRemoteBlockSource.Holds"/>); fills <paramref name="held"/> and returns how many are held.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public int Held(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        _tier!.ReadWindow?.Enter();
        Announce(store);
        try
        {
            return _source!.Holds(keys, held);
        }
        finally
        {
            Ended();
        }
    }

    /// <summary><see cref="Held"/> awaited: the window's place and the source's query, without blocking a thread.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for a place or for the answer.</exception>
    public async ValueTask<int> HeldAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, Memory<bool> held,
        CancellationToken cancellationToken)
    {
        if (_tier!.ReadWindow is { } window)
        {
            await window.EnterAsync(cancellationToken).ConfigureAwait(false);
        }

        Announce(store);
        try
        {
            return await _source!.HoldsAsync(keys, held, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Ended();
        }
    }

    /// <summary>With the window's place taken: a store reader (<see cref="TopTierReader.TryEnterReader"/>); a disposed
    /// store gives the place back and throws.</summary>
    private void Announce(TieredKvStore store)
    {
        if (!_top.TryEnterReader())
        {
            _tier!.ReadWindow?.Exit();
            store.ThrowIfDisposed();
        }
    }

    /// <summary>The query ended (done, thrown or cancelled): its store reader and its window's place end with it.</summary>
    private void Ended()
    {
        _top.ExitReader();
        _tier!.ReadWindow?.Exit();
    }
}
