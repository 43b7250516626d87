using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>The placement ledger the store records into, or null.</summary>
    public PlacementLedger? Ledger => _ledger;

    /// <summary>
    /// Where <paramref name="key"/> is now and the ledger entries that put it there, oldest first (no entries when
    /// the store has no ledger). Allocates; meant for diagnostics, not the serving path.
    /// </summary>
    public BlockExplanation Explain(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            ThrowIfDisposed();
            int e = _table.Find(key);
            IReadOnlyList<LedgerEntry> history = _ledger?.ForBlock(key) ?? [];
            int tier = e < 0 ? -1 : _table.Tier[e];
            long session = e >= 0 ? _table.Session[e] : history.Count > 0 ? history[^1].Session : 0;
            WorkloadLabels labels = e >= 0 ? _table.Labels[e] : history.Count > 0 ? history[^1].Labels : default;
            return new BlockExplanation
            {
                Key = key,
                Tier = tier,
                TierName = tier >= 0 ? _tiers[tier].Profile.Name : null,
                Session = session,
                Labels = labels,
                History = history,
                HistoryComplete = _ledger is null || _ledger.Dropped == 0,
                TierNames = [.. _tiers.Select(t => t.Profile.Name)],
            };
        }
    }

    private RouterBinding? BindRouter(PlacementRouter? router)
    {
        if (router is null)
        {
            return null;
        }

        if (Layout is { } layout && layout.TokensPerBlock != router.TokensPerBlock)
        {
            ThrowHelper.ThrowArgument("options",
                $"The placement router prices {router.TokensPerBlock}-token blocks; the store's layout has {layout.TokensPerBlock}-token blocks.");
        }

        return router.Bind([.. _tiers.Select(t => t.Profile)]);
    }

    /// <summary>Admits a new block where the router sends it, or keeps it out.</summary>
    private PutResult RouteNew(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context)
    {
        int start = _routing!.EntryTier(context.Labels, out PlacementReason reason);
        if (start >= 0)
        {
            return AdmitNew(key, parent, kv, context, start, reason);
        }

        _counters.Bypassed++;
        _ledger?.Record(PlacementAction.Bypass, reason, key, context.Session, context.Depth, -1, -1, context.Labels, _clock.NowSeconds);
        return PutResult.Rejected;
    }

    /// <summary>A lower-tier hit: true to load it; false when recomputing wins, and the block has left the store.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LoadOrRecompute(int e, Tier tier, WorkloadLabels labels)
    {
        if (_table.Pins[e] > 0)
        {
            Note(PlacementAction.Load, PlacementReason.Pinned, e, tier.Index, tier.Index);
            return true;
        }

        if (_routing!.ShouldLoad(tier.Index, _table.Depth[e], labels, out PlacementReason reason))
        {
            if (_ledger is not null)
            {
                Record(PlacementAction.Load, reason, e, tier.Index, tier.Index, labels);
            }

            return true;
        }

        Recompute(e, tier, reason, labels);
        return false;
    }

    /// <summary>
    /// Drops a block the router chose to recompute: the caller recomputes and puts it, and the put must admit the
    /// fresh copy where its labels route it rather than find the slow copy and promote it by reading it after all.
    /// </summary>
    private void Recompute(int e, Tier tier, PlacementReason reason, WorkloadLabels labels)
    {
        tier.Counters.Recomputes++;
        if (_ledger is not null)
        {
            Record(PlacementAction.Recompute, reason, e, tier.Index, -1, labels);
        }

        Unbind(e, tier);
        _table.Remove(e);
    }

    /// <summary>Records into the ledger when there is one: after inlining, one null check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Note(PlacementAction action, PlacementReason reason, int e, int from, int to)
    {
        if (_ledger is not null)
        {
            Record(action, reason, e, from, to, _table.Labels[e]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Record(PlacementAction action, PlacementReason reason, int e, int from, int to, WorkloadLabels labels) =>
        _ledger!.Record(action, reason, _table.Keys[e], _table.Session[e], _table.Depth[e], from, to, labels, _clock.NowSeconds);
}
