using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Sums modeled time-to-first-token per request: the hit prefix is loaded from the tiers that held it (latency +
/// bytes ÷ bandwidth per block), the missed suffix is recomputed on the accelerator at its depth.
/// </summary>
internal sealed class ModeledTtft
{
    private readonly CostModel _cost;
    private readonly double[] _blockLoadSeconds;
    private readonly double[] _blockLoadJoules;

    public ModeledTtft(ModelPreset model, AcceleratorProfile accelerator, TieredKvStore store, int blockTokens)
    {
        _cost = new CostModel(model, accelerator);
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

    public void Add(int inputTokens, int hitTokens, ReadOnlySpan<int> prefixPerTier)
    {
        if (inputTokens <= 0)
        {
            return;
        }

        NoCacheSeconds += _cost.RecomputeSeconds(inputTokens, 0);
        double seconds = hitTokens < inputTokens ? _cost.RecomputeSeconds(inputTokens - hitTokens, hitTokens) : 0;
        for (int t = 0; t < _blockLoadSeconds.Length; t++)
        {
            seconds += prefixPerTier[t] * _blockLoadSeconds[t];
            LoadJoules += prefixPerTier[t] * _blockLoadJoules[t];
        }

        WithCacheSeconds += seconds;
    }
}
