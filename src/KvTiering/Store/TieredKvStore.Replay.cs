using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// One trace request, as the harness defines it: look the whole request up at arrival (prefix hit and resident
    /// blocks, per tier), then offer every block in request order. One lock acquisition for the whole request.
    /// </summary>
    /// <param name="keys">The request's block keys, in order; each block's parent is the one before it.</param>
    /// <param name="session">The request's session.</param>
    /// <param name="nextUse">Per block, the index of the next request that uses it (int.MaxValue: never), or empty.</param>
    /// <param name="time">Replay time in seconds.</param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    internal ReplayOutcome ReplayRequest(ReadOnlySpan<BlockKey> keys, long session, ReadOnlySpan<int> nextUse,
        double time, Span<int> prefixPerTier) =>
        ReplayRequest(keys, session, default, nextUse, time, prefixPerTier, default);

    /// <summary>
    /// One labelled trace request. With a placement router, each prefix block found below the top tier is loaded or
    /// recomputed as the router decides; a recomputed block leaves its tier before the offers, so its offer admits it
    /// afresh where the labels route it (as a server's recompute-then-put would).
    /// </summary>
    /// <param name="keys">The request's block keys, in order.</param>
    /// <param name="session">The request's session.</param>
    /// <param name="labels">The request's workload labels.</param>
    /// <param name="nextUse">Per block, the next request that uses it, or empty.</param>
    /// <param name="time">Replay time in seconds.</param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    /// <param name="prefixServed">
    /// Receives, per prefix block, the tier it was loaded from, or -1 - tier when it was recomputed instead. Routing
    /// decisions need it at least as long as <paramref name="keys"/>; when shorter, every prefix block is loaded.
    /// </param>
    internal ReplayOutcome ReplayRequest(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels, ReadOnlySpan<int> nextUse,
        double time, Span<int> prefixPerTier, Span<sbyte> prefixServed)
    {
        using (EnterWrite())
        {
            ThrowIfDisposed();
            _replayNow = time;
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
                else
                {
                    PutLocked(keys[i], parent, default, context);
                }

                parent = keys[i];
            }

            _puts += keys.Length;
            return new ReplayOutcome(prefix, resident);
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

    /// <summary>Sets the replay clock without a request (session hints arrive between requests).</summary>
    internal void SetReplayTime(double time)
    {
        lock (_lock)
        {
            _replayNow = time;
        }
    }
}

/// <summary>What one replayed request found at arrival.</summary>
/// <param name="PrefixBlocks">Leading blocks resident.</param>
/// <param name="ResidentBlocks">Blocks resident anywhere in the request.</param>
internal readonly record struct ReplayOutcome(int PrefixBlocks, int ResidentBlocks);
