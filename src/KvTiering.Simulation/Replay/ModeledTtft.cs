using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Sums modeled time-to-first-token per request: the hit prefix is loaded from the tiers that held it (latency +
/// bytes ÷ bandwidth per block), except blocks the placement router chose to recompute (recomputed at their depth);
/// the missed suffix is recomputed on the accelerator at its depth.
/// </summary>
internal sealed class ModeledTtft
{
    private readonly CostModel _cost;
    private readonly int _blockTokens;
    private readonly double[] _blockLoadSeconds;
    private readonly double[] _blockLoadJoules;

    public ModeledTtft(ModelPreset model, AcceleratorProfile accelerator, TieredKvStore store, int blockTokens)
    {
        _cost = new CostModel(model, accelerator);
        _blockTokens = blockTokens;
        long blockBytes = _cost.KvBytes(blockTokens);
        _blockLoadSeconds = new double[store.TierCount];
        _blockLoadJoules = new double[store.TierCount];
        for (int t = 0; t < store.TierCount; t++)
        {
            TierProfile profile = store.TierProfileAt(t);
            _blockLoadSeconds[t] = CostModel.LoadSeconds(profile, blockBytes);
            _blockLoadJoules[t] = CostModel.LoadJoules(profile, blockBytes);
        }
    }

    public double WithCacheSeconds { get; private set; }

    public double NoCacheSeconds { get; private set; }

    public double LoadJoules { get; private set; }

    /// <summary>
    /// Σ prefill compute the cache saved: each request's full recompute less what it still recomputed (its missed
    /// suffix and any blocks the router chose to recompute). A deep block's attention runs over its whole prefix, so a
    /// hit on it saves more than a hit on a shallow one.
    /// </summary>
    public double PrefillSavedSeconds { get; private set; }

    /// <summary>Adds one request and returns its modeled time-to-first-token with the cache.</summary>
    /// <param name="inputTokens">The request's input tokens.</param>
    /// <param name="hitTokens">Input tokens covered by the resident prefix.</param>
    /// <param name="prefixServed">Per prefix block: the tier it was loaded from, or -1 - tier when recomputed instead.</param>
    public double Add(int inputTokens, int hitTokens, ReadOnlySpan<sbyte> prefixServed)
    {
        if (inputTokens <= 0)
        {
            return 0;
        }

        double noCache = _cost.RecomputeSeconds(inputTokens, 0);
        NoCacheSeconds += noCache;
        double seconds = hitTokens < inputTokens ? _cost.RecomputeSeconds(inputTokens - hitTokens, hitTokens) : 0;
        Span<int> loaded = stackalloc int[TieredKvStore.MaxTiers];
        for (int i = 0; i < prefixServed.Length; i++)
        {
            int served = prefixServed[i];
            if (served >= 0)
            {
                loaded[served]++;
                continue;
            }

            long context = (long)i * _blockTokens;
            int tokens = (int)Math.Min(_blockTokens, inputTokens - context);
            if (tokens > 0)
            {
                seconds += _cost.RecomputeSeconds(tokens, (int)context);
            }
        }

        PrefillSavedSeconds += noCache - seconds; // compute only: loads are added below
        for (int t = 0; t < _blockLoadSeconds.Length; t++)
        {
            seconds += loaded[t] * _blockLoadSeconds[t];
            LoadJoules += loaded[t] * _blockLoadJoules[t];
        }

        WithCacheSeconds += seconds;
        return seconds;
    }
}
