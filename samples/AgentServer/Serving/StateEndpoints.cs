using AgentServer.Engine;
using AgentServer.Events;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using KvTiering.Placement;
using KvTiering.Store;
using Microsoft.Extensions.Options;

namespace AgentServer.Serving;

/// <summary>The JSON behind the page (<c>/api/state</c>) and the per-session explain (<c>/v1/sessions/{id}/explain</c>).</summary>
internal static class StateEndpoints
{
    public static object State(LlamaEngine engine, TieredKvStore store, RequestLog log, IServiceProvider services)
    {
        StoreStatistics s = store.GetStatistics();
        LlamaPrefixCacheStatistics? c = services.GetService<LlamaPrefixCache>()?.GetStatistics();
        // Resolved only when configured: the publisher's constructor binds its sockets.
        ServerKvEvents? events = services.GetRequiredService<IOptions<KvEventsOptions>>().Value.Endpoint is { Length: > 0 }
            ? services.GetRequiredService<ServerKvEvents>() : null;
        return new
        {
            model = engine.ModelName,
            prefixCache = c is not null,
            sequences = new { total = engine.Slots.Total, busy = engine.Slots.Busy, waiting = engine.Slots.Waiting },
            store = new { lookups = s.Lookups, hits = s.Hits, hitRate = s.HitRate, blocks = s.ResidentBlocks, blockBytes = store.BlockBytes },
            tiers = s.Tiers.Select(t => new
            {
                name = t.Name,
                policy = t.Policy,
                resident = t.ResidentBlocks,
                capacity = t.CapacityBlocks,
                hits = t.Hits,
                hitShare = s.Hits == 0 ? 0 : (double)t.Hits / s.Hits,
                promotions = t.Promotions,
                demotions = t.Demotions,
                evictions = t.Evictions,
            }),
            snapshots = c is null ? null : new
            {
                lookups = c.Lookups,
                hits = c.Hits,
                hitRate = c.HitRate,
                tokensRestored = c.TokensRestored,
                tokensPrefilled = c.TokensToPrefill,
                saves = c.Saves,
                corrupt = c.CorruptSnapshots,
                rejected = c.RejectedStates,
            },
            kvEvents = events is null ? null : new
            {
                endpoint = events.Endpoint,
                replayEndpoint = events.ReplayEndpoint,
                published = events.EventsPublished,
                resets = events.Resets,
                complete = events.Complete, // false: following the store without a snapshot (docs/serving.md, "KV events")
            },
            recent = log.Recent(),
        };
    }

    /// <summary>
    /// A session's story: the hint each tier's policy last received for it, and where each block it owns is now with
    /// the ledger entries that put it there (the store's <c>Explain</c>).
    /// </summary>
    public static object Explain(string id, TieredKvStore store, SessionHintLog hints)
    {
        long session = SessionIds.Of(id);
        IReadOnlyList<LedgerEntry> entries = store.Ledger?.ForSession(session) ?? [];
        BlockExplanation[] blocks = [.. entries.Select(e => e.Key).Distinct().Select(k => store.Explain(k))];
        return new
        {
            session = id,
            storeSession = session,
            hints = hints.For(session),
            residentBlocks = blocks.Count(b => b.Tier >= 0),
            blocksByTier = blocks.Where(b => b.Tier >= 0).GroupBy(b => b.TierName!).ToDictionary(g => g.Key, g => g.Count()),
            explain = blocks.Take(8).Select(b => b.ToString()),
        };
    }
}
