using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Offers one request's blocks to the store, as a server does per prompt and the harness does per trace request:
    /// looks the whole request up at arrival (the resident prefix, and per tier how much of it each holds), then offers
    /// every block in request order with the request's context, so the policies see the request as one unit. One lock
    /// acquisition for the whole request; the clock is the store's <see cref="TimeProvider"/>.
    /// </summary>
    /// <remarks>
    /// In a metadata-only store every absent block is admitted (the harness's semantics, docs/harness.md). In a store
    /// that keeps payloads an absent block has no bytes yet: it is left for the caller's <see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte}, in BlockContext)"/>
    /// once computed, and only resident blocks are touched. With a placement router, each prefix block found below
    /// the top tier is loaded or recomputed as the router decides; a recomputed block leaves its tier before the
    /// offers, so its offer admits it afresh where the labels route it (as a server's recompute-then-put would).
    /// </remarks>
    /// <param name="keys">The request's block keys, in order; each block's parent is the one before it. None empty.</param>
    /// <param name="session">The request's session (0: none).</param>
    /// <param name="labels">The request's workload labels (default: unlabelled).</param>
    /// <param name="nextUse">
    /// Per block, the index of the next request that uses it (<see cref="int.MaxValue"/>: never), for offline
    /// policies; empty when unknown.
    /// </param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    /// <param name="prefixServed">
    /// Receives, per prefix block, the tier it was loaded from, or -1 - tier when the router chose to recompute it.
    /// Routing decisions need it at least as long as <paramref name="keys"/>; when shorter, every prefix block is loaded.
    /// </param>
    /// <returns>What the request found resident at arrival.</returns>
    /// <exception cref="ArgumentException">A key is empty, or <paramref name="nextUse"/> is neither empty nor as long as <paramref name="keys"/>.</exception>
    public RequestOutcome OfferRequest(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels = default,
        ReadOnlySpan<int> nextUse = default, Span<int> prefixPerTier = default, Span<sbyte> prefixServed = default)
    {
        ThrowIfDisposed();
        if (!nextUse.IsEmpty && nextUse.Length != keys.Length)
        {
            throw new ArgumentException($"nextUse has {nextUse.Length} entries for {keys.Length} keys; give one per key or none.", nameof(nextUse));
        }

        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i].IsEmpty)
            {
                ThrowHelper.ThrowEmptyKey(nameof(keys));
            }
        }

        return OfferRequestLocked(keys, session, labels, nextUse, prefixPerTier, prefixServed);
    }

    private RequestOutcome OfferRequestLocked(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels, ReadOnlySpan<int> nextUse,
        Span<int> prefixPerTier, Span<sbyte> prefixServed)
    {
        using (EnterWrite())
        {
            ThrowIfDisposed();
            int prefix = -1;
            int resident = 0;
            int recomputed = 0;
            bool route = _routing is not null && prefixServed.Length >= keys.Length;
            Span<int> found = ReplayEntries(keys.Length);
            for (int i = 0; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                found[i] = e;
                if (e < 0)
                {
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

                int tier = _table.Tier[e];
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
                    if (!_routing!.ShouldLoad(tier, i, labels, out PlacementReason reason))
                    {
                        prefixServed[i] = (sbyte)(-1 - tier);
                        recomputed++;
                    }
                    else if (_ledger is not null)
                    {
                        Record(PlacementAction.Load, reason, e, tier, tier, labels);
                    }
                }
            }

            if (prefix < 0)
            {
                prefix = keys.Length;
            }

            if (recomputed > 0)
            {
                // After the lookups, so a block repeated within the request is still found resident by each of them.
                PlacementReason why = PlacementRouter.Reason(load: false, _routing!.Router.UsesEnergy(labels));
                for (int i = 0; i < prefix; i++)
                {
                    int e = prefixServed[i] < 0 ? _table.Find(keys[i]) : -1;
                    if (e >= 0)
                    {
                        Recompute(e, _tiers[_table.Tier[e]], why, labels);
                    }
                }
            }

            BlockKey parent = BlockKey.Empty;
            for (int i = 0; i < keys.Length; i++)
            {
                long next = nextUse.IsEmpty || nextUse[i] == int.MaxValue ? long.MaxValue : nextUse[i];
                var context = new BlockContext(i, session, next) { Labels = labels };
                int e = found[i];
                if (e >= 0 && _table.Stamps[e] != 0 && _table.Keys[e].Equals(keys[i]))
                {
                    // Found at arrival and not evicted by this request's earlier blocks: skip the second probe.
                    TouchResident(e, context);
                }
                else if (MetadataOnly)
                {
                    PutLocked(keys[i], parent, default, context);
                }

                parent = keys[i];
            }

            _counters.Puts += keys.Length;
            return new RequestOutcome(prefix, resident);
        }
    }

    /// <summary>A scratch span of <paramref name="length"/> entries, reused across requests (replay runs under the lock).</summary>
    private Span<int> ReplayEntries(int length)
    {
        if (_replayEntries.Length < length)
        {
            _replayEntries = new int[Math.Max(length, _replayEntries.Length * 2)];
        }

        return _replayEntries.AsSpan(0, length);
    }
}
