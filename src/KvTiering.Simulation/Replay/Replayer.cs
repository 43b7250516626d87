using Stopwatch = System.Diagnostics.Stopwatch;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Simulation.Traces;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Replays a trace through a metadata-only <see cref="TieredKvStore"/> — the very store a server embeds — and
/// measures hit rates with exact, documented semantics (docs/harness.md): a request's prefix hit is the number of its
/// leading blocks all resident at arrival; then every block is offered in request order. Where the trace records
/// how responses ended, each one reaches the store as a session hint when the response ends (<see cref="HintSchedule"/>).
/// </summary>
public static class Replayer
{
    /// <summary>The high half of every replayed key: block id <c>i</c> becomes key (i + 1, this).</summary>
    internal const ulong KeyNamespace = 0x4B76_5469_6572_5250UL;

    /// <summary>Replays one configuration.</summary>
    public static ReplayResult Run(Trace trace, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        return Run(trace, options, NextUseIndex.Build(trace));
    }

    /// <summary>Replays every configuration, in parallel on up to <paramref name="maxParallelism"/> cores.</summary>
    public static IReadOnlyList<ReplayResult> RunMany(Trace trace, IReadOnlyList<ReplayOptions> runs, int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(runs);
        NextUseIndex oracle = NextUseIndex.Build(trace);
        var results = new ReplayResult[runs.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, runs.Count, parallel, i => results[i] = Run(trace, runs[i], oracle));
        return results;
    }

    internal static ReplayResult Run(Trace trace, ReplayOptions options, NextUseIndex oracle)
    {
        var clock = new ReplayClock();
        using TieredKvStore store = BuildStore(options, trace.BlockTokens, clock, out int capacity);
        using IDisposable? attached = options.AttachStore?.Invoke(store);
        var ttft = options.Model is { } model
            ? new ModeledTtft(model, options.Accelerator ?? Cost.AcceleratorProfiles.H100Sxm, store, trace.BlockTokens)
            : null;
        int tierCount = store.TierCount;
        Span<int> prefixPerTier = stackalloc int[TieredKvStore.MaxTiers];
        var prefixHitsByTier = new long[tierCount];
        var servedTokens = new long[tierCount];
        var recomputedTokens = new long[tierCount];
        WorkloadLabels[]? labels = options.Labels?.Assign(trace);
        LabelClassTally? classes = labels is null ? null : new LabelClassTally();
        var keys = new BlockKey[256];
        var served = new sbyte[keys.Length];
        long hitTokens = 0;
        long inputTokens = 0;
        long residentAtArrival = 0;
        int blockTokens = trace.BlockTokens;
        int progressEvery = Math.Max(1, trace.RequestCount / 100);
        HintSchedule? hints = options.Hints ? HintSchedule.For(trace, clock) : null;
        var stopwatch = Stopwatch.StartNew();

        for (int r = 0; r < trace.RequestCount; r++)
        {
            hints?.DeliverUntil(store, trace.Time[r], r);
            ReadOnlySpan<int> ids = trace.Blocks(r);
            if (keys.Length < ids.Length)
            {
                keys = new BlockKey[Math.Max(ids.Length, keys.Length * 2)];
                served = new sbyte[keys.Length];
            }

            for (int i = 0; i < ids.Length; i++)
            {
                keys[i] = new BlockKey((ulong)ids[i] + 1, KeyNamespace);
            }

            prefixPerTier.Clear();
            ReadOnlySpan<int> next = oracle.Next.AsSpan(trace.RequestStart[r], ids.Length);
            WorkloadLabels label = labels is null ? default : labels[r];
            clock.Set(trace.Time[r]);
            RequestOutcome outcome = store.OfferRequest(keys.AsSpan(0, ids.Length), trace.Session[r], label, next,
                prefixPerTier, served.AsSpan(0, ids.Length));

            hints?.Schedule(store, r);

            int input = trace.InputTokens[r];
            int hit = (int)Math.Min((long)outcome.PrefixBlocks * blockTokens, input);
            inputTokens += input;
            hitTokens += hit;
            residentAtArrival += outcome.ResidentBlocks;
            for (int t = 0; t < tierCount; t++)
            {
                prefixHitsByTier[t] += prefixPerTier[t];
            }

            ReadOnlySpan<sbyte> prefixServed = served.AsSpan(0, outcome.PrefixBlocks);
            CountServedTokens(prefixServed, input, blockTokens, servedTokens, recomputedTokens);
            double requestTtft = ttft?.Add(input, hit, prefixServed) ?? 0;
            classes?.Add(label, input, hit, requestTtft);

            if (options.Progress is { } progress && r % progressEvery == 0)
            {
                progress.Report(r);
            }
        }

        hints?.DeliverRest(store);
        stopwatch.Stop();
        StoreStatistics stats = store.GetStatistics();
        var tiers = new TierReplayResult[tierCount];
        for (int t = 0; t < tierCount; t++)
        {
            TierStatistics s = stats.Tiers[t];
            tiers[t] = new TierReplayResult
            {
                Name = s.Name,
                CapacityBlocks = s.CapacityBlocks,
                PrefixHitBlocks = prefixHitsByTier[t],
                BytesRead = s.BytesRead,
                BytesWritten = s.BytesWritten,
                Promotions = s.Promotions,
                Demotions = s.Demotions,
                Evictions = s.Evictions,
                ServedTokens = servedTokens[t],
                RecomputedTokens = recomputedTokens[t],
                Recomputes = s.Recomputes,
                ModeledSeconds = s.ModeledSeconds,
                ModeledJoules = s.ModeledJoules,
            };
        }

        double seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        return new ReplayResult
        {
            Trace = trace.Name,
            Policy = hints is not null && EvictionPolicies.ReadsSessionHints(options.Policy) ? options.Policy.Name + "+hints" : options.Policy.Name,
            CapacityBlocks = capacity,
            CapacityFraction = trace.UniqueBlocks == 0 ? 0 : (double)capacity / trace.UniqueBlocks,
            TokenHitRate = inputTokens == 0 ? 0 : (double)hitTokens / inputTokens,
            BlockHitRate = trace.References == 0 ? 0 : (double)residentAtArrival / trace.References,
            Requests = trace.RequestCount,
            References = trace.References,
            InputTokens = inputTokens,
            HitTokens = hitTokens,
            ElapsedSeconds = stopwatch.Elapsed.TotalSeconds,
            ReferencesPerSecond = trace.References / seconds,
            Tiers = tiers,
            ModeledTtftSeconds = ttft?.WithCacheSeconds,
            ModeledTtftNoCacheSeconds = ttft?.NoCacheSeconds,
            ModeledLoadJoules = ttft?.LoadJoules,
            PrefillSecondsSaved = ttft?.PrefillSavedSeconds,
            BypassedBlocks = options.Routing is null ? null : stats.Bypassed,
            LabelClasses = classes?.Results(modeled: ttft is not null),
        };
    }

    /// <summary>Credits each prefix block's input tokens (the last one clipped to the input) to the tier that served it.</summary>
    private static void CountServedTokens(ReadOnlySpan<sbyte> prefixServed, int input, int blockTokens, long[] servedTokens,
        long[] recomputedTokens)
    {
        for (int i = 0; i < prefixServed.Length; i++)
        {
            long tokens = Math.Min(blockTokens, input - ((long)i * blockTokens));
            if (tokens <= 0)
            {
                break;
            }

            int s = prefixServed[i];
            if (s >= 0)
            {
                servedTokens[s] += tokens;
            }
            else
            {
                recomputedTokens[-1 - s] += tokens;
            }
        }
    }

    private static TieredKvStore BuildStore(ReplayOptions options, int blockTokens, ReplayClock clock, out int capacity)
    {
        var storeOptions = new KvStoreOptions
        {
            TimeProvider = clock,
            MetadataOnly = true,
            Promotion = options.Promotion,
            Layout = options.Model?.Layout(blockTokens),
            Ledger = options.Ledger,
        };
        if (options.Routing is { } routing)
        {
            Cost.CostModel? cost = options.Model is { } model
                ? new Cost.CostModel(model, options.Accelerator ?? Cost.AcceleratorProfiles.H100Sxm)
                : null;
            storeOptions.Router = new PlacementRouter(cost, blockTokens, routing);
        }

        capacity = 0;
        if (options.Tiers.Count == 0)
        {
            if (options.CapacityBlocks < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.CapacityBlocks,
                    $"Capacity {options.CapacityBlocks} blocks is below one block.");
            }

            storeOptions.Tiers.Add(new TierOptions(SingleTierProfile, options.CapacityBlocks) { Policy = options.Policy });
            capacity = options.CapacityBlocks;
        }
        else
        {
            foreach (TierSpec spec in options.Tiers)
            {
                storeOptions.Tiers.Add(new TierOptions(spec.Profile, spec.CapacityBlocks) { Policy = options.Policy });
                capacity += spec.CapacityBlocks;
            }
        }

        return new TieredKvStore(storeOptions);
    }

    /// <summary>The profile of a plain single-tier replay, where only hit rates matter.</summary>
    private static TierProfile SingleTierProfile { get; } =
        new("cache", TierKind.Dram, 1e12, 1e12, TimeSpan.Zero, 0, 0);
}
