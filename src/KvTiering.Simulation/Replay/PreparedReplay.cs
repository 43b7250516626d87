using Stopwatch = System.Diagnostics.Stopwatch;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Simulation.Traces;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// One replay split in two: <see cref="Prepare"/> builds everything the replay needs (the store with its policy's
/// arrays, the modeled TTFT, labels, hint schedule), <see cref="Execute"/> runs the replay loop once and returns the
/// result. <see cref="Replayer"/> runs both back to back; ReplayBenchmarks times them apart, so the benchmark and
/// <c>simulate</c>'s <c>elapsed_seconds</c> measure the same loop.
/// </summary>
internal sealed class PreparedReplay : IDisposable
{
    private readonly Trace _trace;
    private readonly ReplayOptions _options;
    private readonly NextUseIndex _oracle;
    private readonly ReplayClock _clock;
    private readonly TieredKvStore _store;
    private readonly IDisposable? _attached;
    private readonly ModeledTtft? _ttft;
    private readonly WorkloadLabels[]? _labels;
    private readonly LabelClassTally? _classes;
    private readonly HintSchedule? _hints;
    private readonly int _capacity;
    private bool _executed;

    private PreparedReplay(Trace trace, ReplayOptions options, NextUseIndex oracle, ReplayClock clock, TieredKvStore store,
        IDisposable? attached, int capacity)
    {
        _trace = trace;
        _options = options;
        _oracle = oracle;
        _clock = clock;
        _store = store;
        _attached = attached;
        _capacity = capacity;
        _ttft = options.Model is { } model
            ? new ModeledTtft(model, options.Accelerator ?? Cost.AcceleratorProfiles.H100Sxm, store, trace.BlockTokens)
            : null;
        _labels = options.Labels?.Assign(trace);
        _classes = _labels is null ? null : new LabelClassTally();
        _hints = HintSchedule.For(trace, clock, options.Hints, options.Close);
    }

    /// <summary>Builds the store and the rest of one replay's state; nothing is replayed yet.</summary>
    public static PreparedReplay Prepare(Trace trace, ReplayOptions options, NextUseIndex oracle)
    {
        var clock = new ReplayClock();
        TieredKvStore store;
        int capacity;
        using (AgentOracleClock.During(trace.Time)) // the agent oracle's waits in seconds (replay only)
        {
            store = ReplayStoreBuilder.Build(options, trace.BlockTokens, clock, out capacity);
        }

        IDisposable? attached = null;
        try
        {
            attached = options.AttachStore?.Invoke(store);
            return new PreparedReplay(trace, options, oracle, clock, store, attached, capacity);
        }
        catch
        {
            attached?.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>Replays the trace once through the prepared store; the stopwatch covers the replay loop only.</summary>
    public ReplayResult Execute()
    {
        if (_executed)
        {
            throw new InvalidOperationException("A prepared replay runs once: its store holds the first run's state.");
        }

        _executed = true;
        Trace trace = _trace;
        TieredKvStore store = _store;
        ReplayClock clock = _clock;
        HintSchedule? hints = _hints;
        ModeledTtft? ttft = _ttft;
        WorkloadLabels[]? labels = _labels;
        LabelClassTally? classes = _classes;
        int[] oracleNext = _oracle.Next;
        int tierCount = store.TierCount;
        Span<int> prefixPerTier = stackalloc int[TieredKvStore.MaxTiers];
        var prefixHitsByTier = new long[tierCount];
        var servedTokens = new long[tierCount];
        var recomputedTokens = new long[tierCount];
        var keys = new BlockKey[256];
        var served = new sbyte[keys.Length];
        long hitTokens = 0;
        long inputTokens = 0;
        long residentAtArrival = 0;
        int blockTokens = trace.BlockTokens;
        int progressEvery = Math.Max(1, trace.RequestCount / 100);
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
                keys[i] = new BlockKey((ulong)ids[i] + 1, Replayer.KeyNamespace);
            }

            prefixPerTier.Clear();
            ReadOnlySpan<int> next = oracleNext.AsSpan(trace.RequestStart[r], ids.Length);
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

            if (_options.Progress is { } progress && r % progressEvery == 0)
            {
                progress.Report(r);
            }
        }

        hints?.DeliverRest(store);
        stopwatch.Stop();
        var totals = new ReplayTotals(inputTokens, hitTokens, residentAtArrival, prefixHitsByTier, servedTokens, recomputedTokens);
        return Result(totals, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>Disposes what <see cref="Prepare"/> attached to the store, then the store.</summary>
    public void Dispose()
    {
        _attached?.Dispose();
        _store.Dispose();
    }

    private ReplayResult Result(in ReplayTotals totals, double elapsedSeconds)
    {
        Trace trace = _trace;
        ModeledTtft? ttft = _ttft;
        StoreStatistics stats = _store.GetStatistics();
        var tiers = new TierReplayResult[_store.TierCount];
        for (int t = 0; t < tiers.Length; t++)
        {
            TierStatistics s = stats.Tiers[t];
            tiers[t] = new TierReplayResult
            {
                Name = s.Name,
                CapacityBlocks = s.CapacityBlocks,
                PrefixHitBlocks = totals.PrefixHitsByTier[t],
                BytesRead = s.BytesRead,
                BytesWritten = s.BytesWritten,
                Promotions = s.Promotions,
                Demotions = s.Demotions,
                Evictions = s.Evictions,
                DeadDrops = s.DeadDrops,
                ServedTokens = totals.ServedTokens[t],
                RecomputedTokens = totals.RecomputedTokens[t],
                Recomputes = s.Recomputes,
                ModeledSeconds = s.ModeledSeconds,
                ModeledJoules = s.ModeledJoules,
            };
        }

        double seconds = Math.Max(elapsedSeconds, 1e-9);
        return new ReplayResult
        {
            Trace = trace.Name,
            Policy = Label(),
            CapacityBlocks = _capacity,
            CapacityFraction = trace.UniqueBlocks == 0 ? 0 : (double)_capacity / trace.UniqueBlocks,
            TokenHitRate = totals.InputTokens == 0 ? 0 : (double)totals.HitTokens / totals.InputTokens,
            BlockHitRate = trace.References == 0 ? 0 : (double)totals.ResidentAtArrival / trace.References,
            Requests = trace.RequestCount,
            References = trace.References,
            InputTokens = totals.InputTokens,
            HitTokens = totals.HitTokens,
            ElapsedSeconds = elapsedSeconds,
            ReferencesPerSecond = trace.References / seconds,
            Tiers = tiers,
            ModeledTtftSeconds = ttft?.WithCacheSeconds,
            ModeledTtftNoCacheSeconds = ttft?.NoCacheSeconds,
            ModeledLoadJoules = ttft?.LoadJoules,
            PrefillSecondsSaved = ttft?.PrefillSavedSeconds,
            BypassedBlocks = _options.Routing is null ? null : stats.Bypassed,
            LabelClasses = _classes?.Results(modeled: ttft is not null),
        };
    }

    /// <summary>
    /// The policy's name, and what it was told where it reads hints: "+hints" (turn ends), "+close…" (session closes,
    /// <see cref="SessionCloseOptions.Label"/>); "+demotedead" when known-dead victims were demoted (<see cref="ReplayOptions.DropDeadVictims"/> false);
    /// "+telldemotions" when demotions were reported as demotions (<see cref="ReplayOptions.TellDemotions"/>);
    /// "+tellrequests" when lower tiers heard of each request (<see cref="ReplayOptions.TellRequests"/>).
    /// </summary>
    private string Label()
    {
        string name = _options.Policy.Name + (_options.DropDeadVictims ? "" : "+demotedead")
            + (_options.TellDemotions ? "+telldemotions" : "") + (_options.TellRequests ? "+tellrequests" : "");
        if (_hints is null || !EvictionPolicies.ReadsSessionHints(_options.Policy))
        {
            return name;
        }

        string told = _hints.TurnEnds ? name + "+hints" : name;
        return _hints.Close is { } close ? told + "+" + close.Label : told;
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

    /// <summary>What the replay loop counted, handed to <see cref="Result"/>.</summary>
    private readonly record struct ReplayTotals(long InputTokens, long HitTokens, long ResidentAtArrival,
        long[] PrefixHitsByTier, long[] ServedTokens, long[] RecomputedTokens);
}
