using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

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

        if (_topReferenceBits is not null && TryTouchResidentOptimistic(key, context))
        {
            return PutResult.AlreadyPresent;
        }

        using (EnterWrite())
        {
            ThrowIfDisposed();
            _counters.Puts++;
            return PutLocked(key, parent, kv, context);
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
            int outcome = TryBitOptimistic(key, ref bytesWritten);
            if (outcome == OptimisticHit)
            {
                servedFromTier = 0;
                return true;
            }

            if (outcome == OptimisticMiss)
            {
                servedFromTier = -1;
                return false;
            }
        }

        return TryGetGeneral(key, destination, out bytesWritten, out servedFromTier);
    }

    /// <summary>Every other lookup, and those <see cref="TryBitOptimistic"/> does not answer: lock-free where it can be.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetGeneral(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        int outcome = TryGetOptimistic(key, destination, out bytesWritten);
        return outcome >= 0
            ? IsHit(outcome, out servedFromTier)
            : TryGetSlow(key, destination, outcome, out bytesWritten, out servedFromTier);
    }

    /// <summary>A final lock-free answer (hit or miss) as <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/> reports it.</summary>
    private static bool IsHit(int outcome, out int servedFromTier)
    {
        servedFromTier = outcome == OptimisticHit ? 0 : -1;
        return outcome == OptimisticHit;
    }

    /// <summary>A lock-free try that a writer interrupted (tried again) or that needs the lock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetSlow(in BlockKey key, Span<byte> destination, int outcome, out int bytesWritten, out int servedFromTier)
    {
        bytesWritten = 0;
        if (outcome == OptimisticInterrupted)
        {
            outcome = RetryOptimistic(key, destination, out bytesWritten);
            if (outcome >= 0)
            {
                return IsHit(outcome, out servedFromTier);
            }
        }

        return TryGetLocked(key, destination, out bytesWritten, out servedFromTier);
    }

    private bool TryGetLocked(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        int e;
        int slot;
        Tier tier;
        long stamp;
        using (EnterWrite())
        {
            ThrowIfDisposed();
            _counters.Lookups++;
            e = _table.Find(key);
            if (e < 0)
            {
                return TryGetRemoteLocked(key, destination, out bytesWritten, out servedFromTier);
            }

            tier = _tiers[_table.Tier[e]];
            slot = _table.Slot[e];
            int staging = _table.Staging[e];
            int length = staging >= 0 ? _writeBehind!.Staged(staging).Length : tier.Device.PayloadLength(slot);
            if (destination.Length < length)
            {
                ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, length);
            }

            if (tier.Index > 0 && _routing is not null && !LoadOrRecompute(e, tier, _table.Labels[e]))
            {
                bytesWritten = 0;
                servedFromTier = -1;
                return false;
            }

            if (staging >= 0 || tier.Direct is not null || tier.Index == 0 || MetadataOnly)
            {
                // A block whose write-behind is in flight is served from its staging copy: a hit never waits for it.
                int read = staging >= 0 ? CopyStaged(staging, destination) : ReadLocked(tier, slot, key, destination);
                return FinishGet(e, tier, read, destination, same: true, out bytesWritten, out servedFromTier);
            }

            // A slow tier's read runs outside the lock: the slot can be neither freed nor rewritten while it runs.
            tier.SlotIo[slot]++;
            stamp = _table.Stamps[e];
            _seq.EnterReader(); // Dispose (which needs the lock, so comes after this) waits for the read to end
        }

        int got;
        try
        {
            got = tier.Device.Read(slot, key, destination);
        }
        catch
        {
            using (EnterWrite())
            {
                EndSlotIo(tier, slot);
            }

            throw;
        }
        finally
        {
            _seq.ExitReader();
        }

        using (EnterWrite())
        {
            bool left = EndSlotIo(tier, slot);
            bool same = !left && _table.Stamps[e] == stamp && _table.Tier[e] == tier.Index && _table.Slot[e] == slot;
            return FinishGet(e, tier, got, destination, same, out bytesWritten, out servedFromTier);
        }
    }

    /// <summary>
    /// Books a lookup's read of entry <paramref name="e"/> (under the lock). When the entry changed while the read ran
    /// outside the lock (<paramref name="same"/> false), verified bytes are still the key's and are returned, but
    /// nothing is moved: the Put, Remove or move that changed it wins.
    /// </summary>
    private bool FinishGet(int e, Tier tier, int read, Span<byte> destination, bool same, out int bytesWritten, out int servedFromTier)
    {
        if (read < 0)
        {
            if (same)
            {
                OnCorruptBlock(e, tier);
            }

            bytesWritten = 0;
            servedFromTier = -1;
            return false;
        }

        _counters.Hits++;
        servedFromTier = tier.Index;
        bytesWritten = read;
        if (same)
        {
            _counters.Read(tier, read);
            AccessLocked(e, tier, destination[..read], readBooked: true);
        }
        else
        {
            tier.Counters.Hits++;
            _counters.Read(tier, read);
        }

        return true;
    }

    /// <summary>Ends a read outside the lock; true when the slot's block left meanwhile (the last read frees the slot).</summary>
    private static bool EndSlotIo(Tier tier, int slot)
    {
        if (--tier.SlotIo[slot] == 0 && tier.Orphaned[slot])
        {
            tier.Orphaned[slot] = false;
            tier.Reserved--;
            tier.Device.Free(slot);
            tier.ReturnSlot(slot);
            return true;
        }

        return tier.Orphaned[slot];
    }

    private int CopyStaged(int staging, Span<byte> destination)
    {
        ReadOnlySpan<byte> staged = _writeBehind!.Staged(staging);
        staged.CopyTo(destination);
        return staged.Length;
    }

    /// <summary>A device read under the lock, outside the seqlock's odd window (the slot stays mapped and unchanged).</summary>
    private int ReadLocked(Tier tier, int slot, in BlockKey key, Span<byte> destination)
    {
        bool paused = !MetadataOnly && _seq.Pause();
        int read = tier.Device.Read(slot, key, destination);
        _seq.Resume(paused);
        return read;
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
        if (TryMatchPrefixOptimistic(keys, tiers, out PrefixMatch match))
        {
            return match;
        }

        match = default;
        lock (_lock)
        {
            ThrowIfDisposed();
            int i = 0;
            for (; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                if (e < 0)
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

            match.Blocks = MatchRemoteLocked(keys, i, ref match, tiers);
        }

        return match;
    }

    /// <summary>Whether <paramref name="key"/> is resident in any tier.</summary>
    public bool Contains(in BlockKey key) => TierOf(key) >= 0;

    /// <summary>The tier that holds <paramref name="key"/>, or -1.</summary>
    public int TierOf(in BlockKey key)
    {
        ThrowIfDisposed();
        if (TryTierOfOptimistic(key, out int resident))
        {
            return resident;
        }

        lock (_lock)
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
        using (EnterWrite())
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            if (e < 0)
            {
                return false;
            }

            Tier tier = _tiers[_table.Tier[e]];
            if (_table.Pins[e] > 0)
            {
                tier.PinnedCount--;
            }

            Note(PlacementAction.Remove, PlacementReason.UserRemove, e, tier.Index, -1);
            Unbind(e, tier);
            _table.Remove(e);
            return true;
        }
    }

    /// <summary>Forwards a server's hint about a session to every tier's policy.</summary>
    public void Hint(long session, SessionHint hint)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            DrainAccesses();
            foreach (Tier tier in _tiers)
            {
                tier.OnSessionHint(session, hint);
            }
        }
    }

    /// <summary>Asynchronously stores a block; see <see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>.</summary>
    public ValueTask<PutResult> PutAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv,
        CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PutResult>(cancellationToken);
        }

        return ValueTask.FromResult(Put(key, parent, kv.Span));
    }

    /// <summary>
    /// Asynchronously copies a block into <paramref name="destination"/>; returns the bytes written, or -1 on a miss.
    /// </summary>
    public ValueTask<int> GetAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return ValueTask.FromResult(TryGet(key, destination.Span, out int written) ? written : -1);
    }

    private PutResult PutLocked(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        int e = _table.Find(key);
        if (e >= 0)
        {
            TouchResident(e, context);
            return PutResult.AlreadyPresent;
        }

        return _routing is null ? AdmitNew(key, parent, kv, context, 0, PlacementReason.TopTier) : RouteNew(key, parent, kv, context);
    }

    /// <summary>A put of a block already resident: adopt the caller's context and count it as an access.</summary>
    private void TouchResident(int e, in BlockContext context)
    {
        if (context.Session != 0)
        {
            _table.Session[e] = context.Session;
        }

        if (!context.Labels.IsUnlabeled)
        {
            _table.Labels[e] = context.Labels;
        }

        _table.NextUse[e] = context.NextUse;
        AccessLocked(e, _tiers[_table.Tier[e]], default, readBooked: false);
    }

    /// <summary>Tells the block's policy of the access and promotes it when it sits below the top tier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AccessLocked(int e, Tier tier, ReadOnlySpan<byte> bytesInHand, bool readBooked)
    {
        tier.Counters.Hits++;
        tier.Touch(_table.Slot[e]);
        if (tier.Index > 0 && _promotion != PromotionMode.Never && _table.Pins[e] == 0)
        {
            int target = _promotion == PromotionMode.ToTop ? 0 : tier.Index - 1;
            if (_routing is not null)
            {
                // A block promotes no higher than its labels would have let it enter (batch stays off the accelerator).
                target = Math.Max(target, _routing.PromotionCeiling(_table.Labels[e]));
            }

            if (target < tier.Index)
            {
                Promote(e, tier, target, bytesInHand, readBooked);
            }
        }
    }
}
