using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Placement;
using KvTiering.Tiers;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Stores a block under <paramref name="key"/>, admitting it into the top tier and demoting victims down the
    /// chain. A block already resident is not rewritten (keys are content addresses); it counts as an access.
    /// </summary>
    /// <param name="key">The block's key; never empty.</param>
    /// <param name="parent">The previous block's key, or <see cref="BlockKey.Empty"/> (or the hasher's root) for a first block.</param>
    /// <param name="kv">The block's KV bytes: 1 to <see cref="BlockBytes"/> bytes (empty in a metadata-only store).</param>
    /// <exception cref="ArgumentException">The key is empty or the payload length is wrong.</exception>
    public PutResult Put(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv) =>
        Put(key, parent, kv, BlockContext.None);

    /// <summary>Stores a block, telling the policies its depth and session.</summary>
    /// <inheritdoc cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>
    public PutResult Put(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        ThrowIfDisposed();
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        if (MetadataOnly ? !kv.IsEmpty : (kv.IsEmpty || kv.Length > BlockBytes))
        {
            ThrowHelper.ThrowPayloadLength(nameof(kv), kv.Length, BlockBytes);
        }

        if (_top.HasReferenceBits && _top.TryTouchResident(key, context))
        {
            return PutResult.AlreadyPresent;
        }

        if (_reservedPut is { } reserved)
        {
            return reserved.Put(this, key, parent, kv, context); // payloads: the byte copies run outside the lock
        }

        using (_top.EnterWrite())
        {
            ThrowIfDisposed();
            _counters.Puts++;
            return _chain.Put(key, parent, kv, context);
        }
    }

    /// <summary>
    /// Copies the block stored under <paramref name="key"/> into <paramref name="destination"/>. A hit in a lower
    /// tier may promote the block. Returns false on a miss, including a block whose bytes fail verification.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the stored block.</exception>
    public bool TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten) =>
        TryGet(key, destination, out bytesWritten, out _);

    /// <summary>Like <see cref="TryGet(in BlockKey, Span{byte}, out int)"/>, also telling which tier served the hit.</summary>
    public bool TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        // A metadata-only store whose top tier keeps reference bits answers most lookups here, with no call and almost
        // no frame. No disposed check up front: Dispose leaves the version odd, so after it every lock-free try is
        // interrupted and the locked path throws.
        bytesWritten = 0;
        if (_bitHits)
        {
            int outcome = _top.TryBit(key, ref bytesWritten);
            if (outcome == TopTierReader.Hit)
            {
                servedFromTier = 0;
                return true;
            }

            if (outcome == TopTierReader.Miss)
            {
                servedFromTier = -1;
                return false;
            }
        }

        return TryGetGeneral(key, destination, out bytesWritten, out servedFromTier);
    }

    /// <summary>Every other lookup, and those <see cref="TopTierReader.TryBit"/> does not answer: lock-free where it can be.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetGeneral(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        int outcome = _top.TryGet(key, destination, out bytesWritten);
        return outcome >= 0
            ? IsHit(outcome, out servedFromTier)
            : TryGetSlow(key, destination, outcome, out bytesWritten, out servedFromTier);
    }

    /// <summary>A final lock-free answer (hit or miss) as <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/> reports it.</summary>
    private static bool IsHit(int outcome, out int servedFromTier)
    {
        servedFromTier = outcome == TopTierReader.Hit ? 0 : -1;
        return outcome == TopTierReader.Hit;
    }

    /// <summary>A lock-free try that a writer interrupted (tried again) or that needs the lock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetSlow(in BlockKey key, Span<byte> destination, int outcome, out int bytesWritten, out int servedFromTier)
    {
        bytesWritten = 0;
        if (outcome == TopTierReader.Interrupted)
        {
            outcome = _top.Retry(key, destination, out bytesWritten);
            if (outcome >= 0)
            {
                return IsHit(outcome, out servedFromTier);
            }
        }

        return _locked.TryGet(this, key, destination, out bytesWritten, out servedFromTier);
    }

    /// <summary>
    /// Counts how many leading blocks of <paramref name="keys"/> are resident (stopping at the first absent one) and
    /// in which tiers, moving nothing and telling no policy.
    /// </summary>
    public PrefixMatch MatchPrefix(ReadOnlySpan<BlockKey> keys) => MatchPrefix(keys, default);

    /// <summary>
    /// Like <see cref="MatchPrefix(ReadOnlySpan{BlockKey})"/>, also writing each matched block's tier into
    /// <paramref name="tiers"/> (which may be empty, or at least as long as the match).
    /// </summary>
    public PrefixMatch MatchPrefix(ReadOnlySpan<BlockKey> keys, Span<int> tiers)
    {
        ThrowIfDisposed();
        if (_top.TryMatchPrefix(keys, tiers, _tiers.Length, out PrefixMatch match))
        {
            return match;
        }

        match = default;
        lock (_top.Lock)
        {
            ThrowIfDisposed();
            int i = 0;
            for (; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                if (e < 0 || _table.Tier[e] < 0) // absent, or a put still copying it in
                {
                    break;
                }

                int tier = _table.Tier[e];
                match.Count(tier);
                if (i < tiers.Length)
                {
                    tiers[i] = tier;
                }
            }

            match.Blocks = _remote.Match(keys, i, ref match, tiers);
        }

        return match;
    }

    /// <summary>Whether <paramref name="key"/> is resident in any tier.</summary>
    public bool Contains(in BlockKey key) => TierOf(key) >= 0;

    /// <summary>The tier that holds <paramref name="key"/>, or -1.</summary>
    public int TierOf(in BlockKey key)
    {
        ThrowIfDisposed();
        if (_top.TryTierOf(key, out int resident))
        {
            return resident;
        }

        lock (_top.Lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            return e < 0 ? -1 : _table.Tier[e];
        }
    }

    /// <summary>Removes a block from whichever tier holds it (pinned or not). Returns false when it was absent.</summary>
    public bool Remove(in BlockKey key)
    {
        ThrowIfDisposed();
        using (_top.EnterWrite())
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0)
            {
                return false;
            }

            _chain.Remove(e);
            return true;
        }
    }

    /// <summary>Forwards a server's hint about a session to every tier's policy.</summary>
    public void Hint(long session, SessionHint hint) => HintCore(session, hint, -1);

    /// <summary>
    /// Forwards a server's hint about a session to every tier's policy, with the length of the response that ended
    /// (a brief answer is followed by a quick reply more often than a long report; the agent policy reads it).
    /// </summary>
    /// <param name="session">The session the hint is about.</param>
    /// <param name="hint">How the session's response ended, or its state.</param>
    /// <param name="responseTokens">Tokens the response generated; not negative.</param>
    public void Hint(long session, SessionHint hint, int responseTokens)
    {
        if (responseTokens < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(responseTokens), responseTokens, $"A response's length cannot be negative ({responseTokens} tokens).");
        }

        HintCore(session, hint, responseTokens);
    }

    private void HintCore(long session, SessionHint hint, int responseTokens)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            _top.Drain();
            _clock.HintResponseTokens = responseTokens;
            try
            {
                foreach (Tier tier in _tiers)
                {
                    tier.OnSessionHint(session, hint);
                }
            }
            finally
            {
                _clock.HintResponseTokens = -1;
            }
        }
    }

    /// <summary>
    /// Asynchronously stores a block; see <see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>. The byte
    /// copies run outside the store's lock, and the new block's write is awaited when its tier's device declares
    /// <see cref="IAsyncBlockDevice"/> (flash does).
    /// </summary>
    /// <param name="key">The block's key; never empty.</param>
    /// <param name="parent">The previous block's key, or <see cref="BlockKey.Empty"/>.</param>
    /// <param name="kv">The block's KV bytes; the caller keeps them unchanged until the task completes.</param>
    /// <param name="cancellationToken">Observed before the put starts; once the block's slot is reserved the put completes.</param>
    public ValueTask<PutResult> PutAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv,
        CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PutResult>(cancellationToken);
        }

        ThrowIfDisposed();
        if (_reservedPut is not { } reserved || key.IsEmpty || kv.IsEmpty || kv.Length > BlockBytes)
        {
            return ValueTask.FromResult(Put(key, parent, kv.Span)); // metadata-only, or bad input the put reports
        }

        if (_top.HasReferenceBits && _top.TryTouchResident(key, BlockContext.None))
        {
            return ValueTask.FromResult(PutResult.AlreadyPresent);
        }

        return reserved.PutAsync(this, key, parent, kv, BlockContext.None);
    }

    /// <summary>
    /// Asynchronously copies a block into <paramref name="destination"/>; returns the bytes written, or -1 on a miss.
    /// See <see cref="TryGetAsync"/>.
    /// </summary>
    public async ValueTask<int> GetAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        BlockRead read = await TryGetAsync(key, destination, cancellationToken).ConfigureAwait(false);
        return read.Found ? read.BytesWritten : -1;
    }

    /// <summary>
    /// Asynchronously copies the block stored under <paramref name="key"/> into <paramref name="destination"/>. A
    /// top-tier hit completes synchronously (the lock-free path); a block in a tier whose device declares
    /// <see cref="IAsyncBlockDevice"/> (flash) is read by awaiting the device outside the store's lock, then promoted
    /// if its entry did not change meanwhile, as <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/> does.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the stored block.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the block stays where it was, readable.</exception>
    public ValueTask<BlockRead> TryGetAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<BlockRead>(cancellationToken);
        }

        ThrowIfDisposed();
        int outcome = _top.TryGet(key, destination.Span, out int written);
        if (outcome == TopTierReader.Interrupted)
        {
            outcome = _top.Retry(key, destination.Span, out written);
        }

        if (outcome >= 0)
        {
            bool hit = IsHit(outcome, out int tier);
            return ValueTask.FromResult(new BlockRead(hit, written, tier));
        }

        if (_asyncReader is { } reader)
        {
            return reader.TryGetAsync(this, key, destination, cancellationToken);
        }

        bool found = _locked.TryGet(this, key, destination.Span, out written, out int servedFrom);
        return ValueTask.FromResult(new BlockRead(found, written, servedFrom));
    }

    /// <summary>
    /// Pins a resident block: it is never evicted, demoted or promoted until every pin is released. Pins in a tier
    /// may not exceed <see cref="KvStoreOptions.MaxPinnedFraction"/> of its capacity, so eviction always makes progress.
    /// </summary>
    /// <returns>False when the block is not resident or its tier's pin budget is spent.</returns>
    public bool Pin(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            return e >= 0 && _chain.Pin(e);
        }
    }

    /// <summary>Releases one pin. Returns false when the block is not resident or not pinned.</summary>
    public bool Unpin(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            return e >= 0 && _chain.Unpin(e);
        }
    }

    /// <summary>Whether <paramref name="key"/> is resident and pinned.</summary>
    public bool IsPinned(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            int e = _table.Find(key);
            return e >= 0 && _table.Pins[e] > 0;
        }
    }

    /// <summary>
    /// Demotes every unpinned block out of the tiers above the lowest persistent (flash) tier, so that the blocks
    /// survive a restart; returns how many blocks left those tiers (to flash, or dropped when flash declined them or
    /// had to make room). Does nothing in a store without a persistent
    /// tier. Blocks leave each tier in its policy's victim order, so when the flash tier is full the blocks it drops
    /// to make room are the ones its policy values least.
    /// </summary>
    /// <remarks>
    /// New blocks enter the top tier and reach flash only when demoted; call this (or set
    /// <see cref="KvStoreOptions.FlushOnDispose"/>) before an orderly shutdown to keep them. A crash still loses what
    /// sat in memory, as with any write-back cache.
    /// </remarks>
    public int Flush()
    {
        ThrowIfDisposed();
        int moved;
        using (_top.EnterWrite())
        {
            ThrowIfDisposed();
            moved = _persistent.Flush(_mover, _writeBehind);
        }

        _writeBehind.WaitIdle(); // demotions queued before the flush land too
        return moved;
    }

    /// <summary>
    /// Removes every block from every tier, pinned or not (what a server does when its model or weights change, as
    /// vLLM's <c>reset_prefix_cache</c>). Subscribers to <see cref="Events"/> get one
    /// <see cref="Events.KvEventKind.AllCleared"/> instead of a removal per block.
    /// </summary>
    public void Clear()
    {
        ThrowIfDisposed();
        using (_top.EnterWrite())
        {
            ThrowIfDisposed();
            _top.Drain(); // queued hits name slots about to be freed
            _slots.ReleaseAll(_tiers);
        }
    }
}
