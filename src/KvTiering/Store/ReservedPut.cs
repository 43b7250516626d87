using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A put into a store that keeps payloads, with its byte copies outside the store's lock, so two writers (prefill
/// workers, a transfer receiver) do not convoy behind each other's copies: under the lock the new block's entry is
/// added as pending (no tier maps it: readers miss it, as before the put) and a slot is reserved for it; a victim that
/// must leave first has its bytes copied one tier down without the lock (<see cref="DemotionCopies"/>); the new block's
/// bytes are copied into its slot without the lock; then, under the lock, the block is bound (published) unless a
/// Remove took it meanwhile (the Remove wins, and the slot goes back).
/// </summary>
/// <remarks>
/// Reserve, copy, publish: the same split as a slab allocator's "allocate, fill, publish" and as Dynamo KVBM's and
/// vLLM's block pools, where a block is allocated under the manager's lock, filled by the worker, and only then
/// registered for prefix hits. A metadata-only store has no bytes to copy and keeps the one-hold put
/// (<see cref="TierChain.Put"/>), so replays do not move.
/// </remarks>
internal sealed class ReservedPut
{
    private const int MaxDeferrals = 4; // victims one put waits for before making room under the lock

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly BlockMover _mover;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;

    public ReservedPut(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, BlockMover mover, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement)
    {
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _mover = mover;
        _slots = slots;
        _counters = counters;
        _placement = placement;
    }

    /// <summary>Stores a block (arguments already validated); <paramref name="store"/> is checked for disposal under each lock hold.</summary>
    public PutResult Put(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        var pending = default(PendingPut);
        if (!Begin(store, key, parent, kv, context, ref pending, out PutResult result))
        {
            return result;
        }

        IOException? failure;
        do
        {
            failure = null;
            try
            {
                if (pending.Victim.Active)
                {
                    _mover.CopyDemotion(ref pending.Victim);
                }
                else
                {
                    _tiers[pending.Tier].Device.Write(pending.Slot, key, parent, kv);
                }
            }
            catch (IOException ex)
            {
                failure = ex;
            }
            finally
            {
                _top.ExitReader();
            }

            result = default;
        }
        while (Next(store, ref pending, kv.Length, failure, ref result));

        return result;
    }

    /// <summary>
    /// Like <see cref="Put"/>, awaiting the new block's write when its tier's device declares
    /// <see cref="IAsyncBlockDevice"/> (a victim's copy one tier down runs synchronously, outside the lock).
    /// </summary>
    public async ValueTask<PutResult> PutAsync(TieredKvStore store, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv, BlockContext context)
    {
        var pending = default(PendingPut);
        if (!Begin(store, key, parent, kv.Span, context, ref pending, out PutResult result))
        {
            return result;
        }

        IOException? failure;
        do
        {
            failure = null;
            try
            {
                IBlockDevice device = _tiers[pending.Tier].Device;
                if (pending.Victim.Active)
                {
                    _mover.CopyDemotion(ref pending.Victim);
                }
                else if (device is IAsyncBlockDevice awaitable)
                {
                    // Once the slot is reserved the put completes: a cancelled write would leave a reserved slot behind.
                    await awaitable.WriteAsync(pending.Slot, key, parent, kv, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    device.Write(pending.Slot, key, parent, kv.Span);
                }
            }
            catch (IOException ex)
            {
                failure = ex;
            }
            finally
            {
                _top.ExitReader();
            }

            result = default;
        }
        while (Next(store, ref pending, kv.Length, failure, ref result));

        return result;
    }

    /// <summary>The first lock hold: true when the caller has bytes to copy (a store reader is then announced).</summary>
    private bool Begin(TieredKvStore store, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context,
        ref PendingPut pending, out PutResult result)
    {
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            _counters.Puts++;
            if (!TryReserve(key, parent, kv, context, ref pending, out result))
            {
                return false;
            }

            _top.EnterReader(); // Dispose (which needs the lock) waits for the copies outside it
            return true;
        }
    }

    /// <summary>
    /// The lock hold after a copy: completes the victim's move and reserves again (true: copy again, a store reader
    /// announced), or publishes the block (false, with <paramref name="result"/>).
    /// </summary>
    private bool Next(TieredKvStore store, ref PendingPut pending, int size, IOException? failure, ref PutResult result)
    {
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            if (!pending.Victim.Active)
            {
                result = Publish(ref pending, size, failure);
                return false;
            }

            _mover.CompleteDemotion(ref pending.Victim);
            if (!TryResume(ref pending, size, out result))
            {
                return false;
            }

            _top.EnterReader();
            return true;
        }
    }

    /// <summary>
    /// Under the lock: counts a resident block as an access (promoting it from <paramref name="kv"/>, the put's own
    /// bytes), or adds the new block as pending and reserves its slot (or a victim's move that frees one). True when
    /// the caller has bytes to copy.
    /// </summary>
    private bool TryReserve(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context, ref PendingPut pending, out PutResult result)
    {
        int e = _table.Find(key);
        if (e >= 0)
        {
            _chain.TouchResident(e, context, kv);
            result = PutResult.AlreadyPresent;
            return false;
        }

        int start = _placement.EntryTier(key, context, out PlacementReason reason);
        if (start < 0)
        {
            _counters.Bypassed++;
            result = PutResult.Rejected;
            return false;
        }

        e = _table.Add(key, parent, context.Depth, context.Session, context.NextUse, context.Labels);
        if (e < 0)
        {
            ThrowHelper.ThrowInvalidOperation("The block table is full; this is a bug in the store's capacity accounting.");
        }

        _table.SetInFlight(e, true); // pending: tier -1, bound to nothing until published
        pending.Entry = e;
        pending.Stamp = _table.Stamps[e];
        pending.StartTier = start;
        pending.Reason = reason;
        return TryPlace(ref pending, start, kv.Length, admitted: false, out result);
    }

    /// <summary>After a victim's move: the pending block's slot, or another victim's move, unless a Remove took the block.</summary>
    private bool TryResume(ref PendingPut pending, int size, out PutResult result)
    {
        if (!IsPending(pending))
        {
            result = PutResult.Stored; // removed while room was made for it: the Remove, which came later, wins
            return false;
        }

        return TryPlace(ref pending, pending.Tier, size, admitted: true, out result);
    }

    /// <summary>The first tier from <paramref name="first"/> down that admits the block and has (or is freeing) a slot.</summary>
    private bool TryPlace(ref PendingPut pending, int first, int size, bool admitted, out PutResult result)
    {
        int e = pending.Entry;
        for (int t = first; t < _tiers.Length; t++, admitted = false)
        {
            Tier tier = _tiers[t];
            if (!admitted && !tier.Admit(_table.Describe(e, tier.Index, size, isDemotion: false)))
            {
                tier.Counters.Rejections++;
                _placement.Note(PlacementAction.Reject, PlacementReason.PolicyDeclined, e, -1, t);
                continue;
            }

            int slot = pending.Deferrals < MaxDeferrals ? _mover.MakeRoom(tier, ref pending.Victim) : _mover.MakeRoom(tier);
            if (slot >= 0 || pending.Victim.Active)
            {
                if (slot >= 0)
                {
                    tier.Reserved++; // held for the pending block: not resident yet
                }

                pending.Tier = t;
                pending.Slot = slot;
                pending.Deferrals += pending.Victim.Active ? 1 : 0;
                result = default;
                return true;
            }
        }

        _table.Remove(e);
        result = PutResult.Rejected;
        return false;
    }

    /// <summary>Binds the block to its slot now that its bytes are in, unless a Remove took it meanwhile.</summary>
    private PutResult Publish(ref PendingPut pending, int size, IOException? failure)
    {
        Tier tier = _tiers[pending.Tier];
        int slot = pending.Slot;
        tier.Reserved--;
        if (!IsPending(pending))
        {
            _mover.FreeUnmapped(tier, slot);
            return PutResult.Stored; // stored, then removed by a Remove that ran meanwhile
        }

        int e = pending.Entry;
        if (failure is not null)
        {
            _mover.WriteFailed(e, tier, slot, failure);
            _table.Remove(e);
            return PutResult.Dropped;
        }

        _counters.Write(tier, size);
        _slots.Bind(e, tier, slot);
        tier.OnInsert(slot);
        _table.SetInFlight(e, false);
        tier.Counters.Inserts++;
        _placement.Note(PlacementAction.Admit, pending.Tier == pending.StartTier ? pending.Reason : PlacementReason.HigherTierRefused,
            e, -1, pending.Tier);
        return PutResult.Stored;
    }

    /// <summary>Whether the pending block's entry is still the one this put added and still unbound.</summary>
    private bool IsPending(in PendingPut pending) =>
        _table.Stamps[pending.Entry] == pending.Stamp && _table.Tier[pending.Entry] < 0;
}
