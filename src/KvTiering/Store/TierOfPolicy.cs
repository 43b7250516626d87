using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Placement;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>The hot core: the policy is a generic struct parameter, so its calls inline.</summary>
internal sealed class Tier<TPolicy> : Tier
    where TPolicy : IEvictionPolicy
{
    private TPolicy _policy;
    private TierView? _view;
    private IKnowsDeadBlocks? _dead; // the policy as IKnowsDeadBlocks, boxed once (a struct's copy taken after Attach)
    private IKnowsDemotions? _demotions; // the policy as IKnowsDemotions, boxed once the same way
    private IKnowsRequestsAbove? _requests; // the policy as IKnowsRequestsAbove, boxed once the same way

    public Tier(int index, TierProfile profile, IBlockDevice device, TPolicy policy, EvictionPolicy descriptor)
        : base(index, profile, device, descriptor, default(TPolicy) is IAdmitsAll, default(TPolicy) is IIgnoresChildren,
            policy is IKnowsDeadBlocks, policy is IKnowsDemotions) // the instance, not default(TPolicy): a class policy declares them too
    {
        _policy = policy;
    }

    public override void Attach(TierView view)
    {
        _view = view;
        _policy.Attach(view);
        _dead = _policy as IKnowsDeadBlocks; // once, not per victim: a cast per call would box a struct each time
        _demotions = _policy as IKnowsDemotions;
        _requests = _policy as IKnowsRequestsAbove;
    }

    public override IKnowsRequestsAbove? RequestListener => _requests;

    public override bool Admit(in BlockInfo block) => _policy.Admit(block);

    public override void OnInsert(int slot)
    {
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 0; // a block enters unreferenced, whatever its slot's last block left behind
        }

        _policy.OnInsert(slot);
    }

    // Callers test TellsDemotions first, so a policy without the capability is never called here.
    public override void OnDemotion(int slot)
    {
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 0;
        }

        _demotions!.OnDemotion(slot);
    }

    public override void OnAccess(int slot) => _policy.OnAccess(slot);

    public override void OnAccessMany(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            _policy.OnAccess(slot);
        }
    }

    public override void OnRemove(int slot) => _policy.OnRemove(slot);

    public override int SelectVictim() => _policy.SelectVictim();

    // Callers test DropsDead first, so a policy without the capability is never called here.
    public override bool IsDead(int slot) => _dead is { } dead && dead.IsDead(slot);

    public override void OnSessionHint(long session, SessionHint hint) => _policy.OnSessionHint(session, hint);

    public override int InsertOutright(BlockTable table, int e)
    {
        int slot = TakeSlot();
        if (slot < 0 && (slot = EvictVictim(table)) < 0)
        {
            return -1;
        }

        table.Place(e, 0, slot);
        SlotToEntry[slot] = e;
        if (ReferenceBits is { } bits)
        {
            bits[slot] = 0;
        }

        _policy.OnInsert(slot);
        Counters.Inserts++;
        return slot;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public override void OfferOutright(in OutrightRequest request, ReadOnlySpan<BlockKey> keys, ReadOnlySpan<int> found,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> nextUse)
    {
        BlockTable table = request.Table;
        long removals = request.Removals;
        long session = request.Session;
        WorkloadLabels labels = request.Labels;
        if (default(TPolicy) is IIgnoresNextUse)
        {
            nextUse = default; // nothing else here reads it (one tier, nothing observing): the oracle's stream is not loaded
        }

        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < keys.Length; i++)
        {
            BlockContext context = RequestOffer.ContextOf(i, session, nextUse, labels);
            int e = found[i];
            bool unchanged = table.Removals == removals; // nothing left since the lookup: entries and slots hold
            if (table.StillFound(e, keys[i], unchanged))
            {
                // Found at arrival and not evicted by this request's earlier blocks (RequestOffer.Offer says why an
                // unchanged table vouches for the slot read at arrival): TierChain.TouchResident's writes and access.
                table.NoteAccess(e, context);
                Counters.Hits++;
                Counters.ResidentPuts++;
                int slot = unchanged ? slots[i] : table.Slot[e];
                if (ReferenceBits is { } bits)
                {
                    bits[slot] = 1;
                }
                else
                {
                    _policy.OnAccess(slot);
                }
            }
            else
            {
                MissOutright(request, keys[i], parent, context, e, slots[i]);
            }

            parent = keys[i];
        }
    }

    /// <summary>
    /// <see cref="TierChain.Put"/> of a metadata-only block into this tier alone, which nothing observes (a replay):
    /// probe, add, admit, make room, bind, insert, book the write, with every policy call direct.
    /// </summary>
    /// <param name="request">The request's store parts and context.</param>
    /// <param name="key">The block.</param>
    /// <param name="parent">The block before it in the request, or empty.</param>
    /// <param name="context">The block's context.</param>
    /// <param name="found">The key's entry at arrival (now gone), -1, or <see cref="RequestOffer.Unique"/>.</param>
    /// <param name="end">For a key absent at arrival, the empty bucket its probe ended at then.</param>
    private void MissOutright(in OutrightRequest request, in BlockKey key, in BlockKey parent, in BlockContext context,
        int found, int end)
    {
        BlockTable table = request.Table;
        // Absent at arrival, but an earlier block of this request may have been the same key (the lookup tells when
        // not), or the block was resident at arrival and has been evicted since.
        int e = found != RequestOffer.Unique ? table.Find(key) : -1;
        if (e >= 0)
        {
            request.Chain.TouchResident(e, context);
            return;
        }

        // The policy's likely victim's slot map entry was prefetched at the last eviction: now its bucket's, read by
        // the eviction this miss runs after the add.
        if (_view is { LikelyVictim: var likely and >= 0 } && likely < Capacity)
        {
            table.PrefetchBucketOf(SlotToEntry[likely]);
        }

        // A unique key whose probe end is still free goes there: its home bucket's line, loaded at arrival and
        // usually gone from the near caches since, is not loaded again (ProbeEnds says why that is exact).
        end = found == RequestOffer.Unique && table.Ends!.Holds(end) ? end : -1;
        e = table.Add(key, parent, context.Depth, context.Session, context.NextUse, context.Labels, end);
        if (e < 0)
        {
            ThrowHelper.ThrowInvalidOperation("The block table is full; this is a bug in the store's capacity accounting.");
        }

        // Unlike TierChain.Admit, the entry is not marked in flight: until it is placed no slot maps to it, so no
        // policy can name it, and nothing else runs meanwhile.
        if (!AdmitsAll && !_policy.Admit(table.Describe(e, Index, 0, isDemotion: false)))
        {
            Counters.Rejections++;
            table.Remove(e);
            return;
        }

        if (InsertOutright(table, e) < 0)
        {
            table.Remove(e);
            return;
        }

        // Booked after the insert rather than before it as Put does: it only adds to the tier's write counters, which
        // neither the eviction nor the insert reads or changes, so every sum comes out the same.
        request.Counters.Write(this, 0);
    }

    /// <summary>Evicts the policy's victim and returns its slot, or -1 when it names none (<see cref="Tier.InsertOutright"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EvictVictim(BlockTable table)
    {
        int victim = _policy.SelectVictim();
        if (victim < 0)
        {
            return -1;
        }

        int e = (uint)victim < (uint)Capacity ? SlotToEntry[victim] : -1;
        if (e < 0 || !table.IsEvictable(e))
        {
            ThrowBadVictim(victim);
        }

        // Unlike BlockMover.Evict, the entry is not marked in flight, unplaced nor unmapped first: nothing runs between
        // here and its removal, which leaves it free (tier and slot -1, not in flight, its bucket emptied), and the
        // slot is mapped to the new entry by the caller right after.
        Counters.Evictions++;
        _policy.OnRemove(victim);
        table.Remove(e);
        return victim;
    }
}
