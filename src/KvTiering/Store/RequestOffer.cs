using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// One request's blocks offered to the chain under one hold of the lock, as a server does per prompt and the harness
/// per trace request (<see cref="TieredKvStore.OfferRequest"/>): the whole request is looked up at arrival (the
/// resident prefix, and per tier how much of it each holds), prefix blocks placement chose to recompute leave, then
/// every block is offered in request order with the request's context. Call under the store's lock.
/// </summary>
internal sealed class RequestOffer
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TierChain _chain;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly RequestArrivals? _arrivals; // lower tiers' policies that hear of each request, or null: none
    private readonly bool _metadataOnly;
    private readonly bool _outright; // a miss's victim leaves the store with nothing to move or tell (Tier.OfferOutright)
    private readonly bool _single;   // one metadata-only tier: a resident entry lies in tier 0, in a slot it keeps
    internal const int Unique = -2; // found[i] of a key absent at arrival and not repeated before it in the request
    private int[] _found = new int[64]; // per key, its entry at arrival, -1 or Unique; reused across requests
    private int[] _foundSlots = new int[64]; // per key, its top-tier slot at arrival, or where its probe ended if absent
    private readonly ProbeEnds? _ends; // where this request's absent keys ended their probes (the table clears taken ones)

    public RequestOffer(BlockTable table, Tier[] tiers, TierChain chain, SlotBinding slots,
        StoreCounters counters, IPlacementHooks placement, RequestArrivals? arrivals, bool metadataOnly)
    {
        _arrivals = arrivals;
        _table = table;
        _tiers = tiers;
        _chain = chain;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _metadataOnly = metadataOnly;
        _outright = metadataOnly && tiers.Length == 1 && tiers[0].DeviceIsInert && !tiers[0].WriteBehind
            && placement is NoPlacementHooks;
        _single = metadataOnly && tiers.Length == 1;
        _ends = _outright ? table.TrackProbeEnds() : null;
    }

    /// <summary>Offers the request; the arguments are <see cref="TieredKvStore.OfferRequest"/>'s, already validated.</summary>
    public RequestOutcome Offer(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels, ReadOnlySpan<int> nextUse,
        Span<int> prefixPerTier, Span<sbyte> prefixServed)
    {
        if (_arrivals is not null && session != 0)
        {
            _arrivals.Arrived(session); // before the lookup and the touches: the request's own hits below come after it
        }

        Found(keys.Length, out Span<int> found, out Span<int> slots);
        int prefix = LookUp(keys, labels, found, slots, prefixPerTier, prefixServed, out int resident, out int recomputed);
        long removals = _table.Removals;
        if (recomputed > 0)
        {
            // After the lookups, so a block repeated within the request is still found resident by each of them.
            PlacementReason why = _placement.RecomputeReason(labels);
            for (int i = 0; i < prefix; i++)
            {
                int e = prefixServed[i] < 0 ? _table.Find(keys[i]) : -1;
                if (e >= 0)
                {
                    _chain.Recompute(e, _tiers[_table.Tier[e]], why, labels);
                }
            }
        }

        if (_outright && !_slots.ReportsEvents)
        {
            // The whole request in one call into the tier, whose policy calls are direct (Tier.OfferOutright).
            var request = new OutrightRequest(_table, _chain, _counters, removals, session, labels);
            _tiers[0].OfferOutright(request, keys, found, slots, nextUse);
            ForgetEnds(found, slots);
            _counters.Puts += keys.Length;
            return new RequestOutcome(prefix, resident);
        }

        BlockKey parent = BlockKey.Empty;
        for (int i = 0; i < keys.Length; i++)
        {
            BlockContext context = ContextOf(i, session, nextUse, labels);
            int e = found[i];
            bool unchanged = _table.Removals == removals; // nothing left since the lookup: entries and slots hold
            if (_table.StillFound(e, keys[i], unchanged))
            {
                // Found at arrival and not evicted by this request's earlier blocks: skip the second probe. An entry
                // that left and came back may sit in another slot, so only an unchanged table vouches for the one
                // read at arrival.
                if (_outright)
                {
                    HitOutright(e, unchanged ? slots[i] : _table.Slot[e], context);
                }
                else
                {
                    _chain.TouchResident(e, context);
                }
            }
            else if (_metadataOnly)
            {
                _chain.Put(keys[i], parent, default, context);
            }

            parent = keys[i];
        }

        ForgetEnds(found, slots);
        _counters.Puts += keys.Length;
        return new RequestOutcome(prefix, resident);
    }

    /// <summary>The arrival lookup: each key's entry, the resident prefix's length, per tier its share, and the routing of its blocks.</summary>
    private int LookUp(ReadOnlySpan<BlockKey> keys, WorkloadLabels labels, Span<int> found, Span<int> slots,
        Span<int> prefixPerTier, Span<sbyte> prefixServed, out int resident, out int recomputed)
    {
        int prefix = -1;
        resident = 0;
        recomputed = 0;
        bool route = _placement.Routes && prefixServed.Length >= keys.Length;
        for (int i = 0; i < keys.Length; i++)
        {
            int e = _table.Find(keys[i], out slots[i]);
            if (e >= 0 && !_metadataOnly && _table.Tier[e] < 0)
            {
                e = -1; // a block another put is still copying in (ReservedPut, payload stores only): not resident yet
            }

            found[i] = e;
            if (e < 0)
            {
                if (_ends is { } ends)
                {
                    // Equal keys end their probes at the same empty bucket (the table does not change during the
                    // lookup), so a key whose bucket no earlier absent key of the request ended at is not among them:
                    // its miss cannot find it added by an earlier block, and need not probe again (Tier.OfferOutright).
                    // While its bit stays set, a unique key is added at its end without probing again.
                    int end = _table.LastMissBucket;
                    found[i] = ends.Mark(end) ? Unique : -1;
                    slots[i] = end;
                }

                if (prefix < 0)
                {
                    prefix = i;
                }

                continue;
            }

            resident++;
            if (prefix >= 0)
            {
                continue;
            }

            int tier = _single ? 0 : _table.Tier[e];
            if ((uint)tier < (uint)prefixPerTier.Length)
            {
                prefixPerTier[tier]++;
            }

            if (i < prefixServed.Length)
            {
                prefixServed[i] = (sbyte)tier;
            }

            if (route && tier > 0 && _table.Pins[e] == 0)
            {
                if (!_placement.ShouldLoad(tier, i, labels, out PlacementReason reason))
                {
                    prefixServed[i] = (sbyte)(-1 - tier);
                    recomputed++;
                }
                else
                {
                    _placement.Record(PlacementAction.Load, reason, e, tier, tier, labels);
                }
            }
        }

        return prefix < 0 ? keys.Length : prefix;
    }

    /// <summary>
    /// <see cref="TierChain.TouchResident"/> of a block of the one tier, found at arrival in <paramref name="slot"/>
    /// (read from its bucket): the same writes and the policy's access, without reading the entry's tier and slot.
    /// </summary>
    private void HitOutright(int e, int slot, in BlockContext context)
    {
        _table.NoteAccess(e, context);
        Tier tier = _tiers[0];
        tier.Counters.Hits++;
        tier.Counters.ResidentPuts++;
        tier.Touch(slot);
    }

    /// <summary>Clears the bits <see cref="LookUp"/> set for the request's absent keys.</summary>
    private void ForgetEnds(ReadOnlySpan<int> found, ReadOnlySpan<int> slots)
    {
        if (_ends is { } ends)
        {
            for (int i = 0; i < found.Length; i++)
            {
                if (found[i] < 0)
                {
                    ends.ForgetWordOf(slots[i]);
                }
            }
        }
    }

    /// <summary>Scratch spans of <paramref name="length"/> entries and slots, reused across requests.</summary>
    private void Found(int length, out Span<int> found, out Span<int> slots)
    {
        if (_found.Length < length)
        {
            _found = new int[Math.Max(length, _found.Length * 2)];
            _foundSlots = new int[_found.Length];
        }

        found = _found.AsSpan(0, length);
        slots = _foundSlots.AsSpan(0, length);
    }

    /// <summary>Block <paramref name="i"/>'s context in a request: its depth, session, oracle next use (none: <see cref="int.MaxValue"/> or no oracle) and labels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static BlockContext ContextOf(int i, long session, ReadOnlySpan<int> nextUse, WorkloadLabels labels)
    {
        long next = nextUse.IsEmpty || nextUse[i] == int.MaxValue ? long.MaxValue : nextUse[i];
        return new BlockContext(i, session, next) { Labels = labels };
    }
}
