namespace KvTiering.Eviction;

/// <summary>
/// Marconi's FLOP-aware eviction: among leaf blocks (no resident child), the one with the lowest
/// recency + α × FLOP efficiency goes, both terms normalized to [0, 1] over the candidates. A block's FLOP efficiency
/// is the prefill compute it saves per byte held, which grows with its depth: its attention runs over everything
/// before it.
/// </summary>
/// <remarks>
/// <para>
/// Pan et al., "Marconi: Prefix Caching for the Era of Hybrid LLMs", MLSys 2025: score = recency + α · flop_efficiency,
/// min-max normalized over the radix tree's leaves, α found by retrospective bootstrapping over a grid. For a dense
/// transformer a block of B tokens at depth d costs about 24·h²·B (projections and MLP) + 4·h·B²·(d + ½) (attention)
/// per layer, so per byte it is proportional to 1 + (B / 6h)·(d + ½); with B = 16 and h = 4096 (the Llama-3-8B
/// width) the attention share per block of depth is 16 / 24,576. The paper leaves α to its tuner; α = 1 (equal weight)
/// is fixed here. The candidates are the leaves among the 256 least recent evictable blocks, at most 64 of them (a
/// sampled ranking, so an eviction costs O(1): on prefix-chained traffic a leaf ends each chain, and an unbounded
/// search for 64 leaves walks 64 whole chains); with no leaf among them, the least recent evictable block goes.
/// </para>
/// </remarks>
public struct MarconiPolicy : IEvictionPolicy
{
    private const int Window = 64;
    private const int MaxLooked = 256;
    private const double AttentionPerDepth = 16.0 / (6 * 4096);
    private TierView _tier;
    private HandleList _list;
    private double[] _touched;

    /// <summary>Creates the policy with α = 1.</summary>
    public MarconiPolicy()
        : this(1)
    {
    }

    /// <summary>Creates the policy.</summary>
    /// <param name="alpha">The weight of FLOP efficiency against recency.</param>
    public MarconiPolicy(double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(alpha);
        Alpha = alpha;
        _tier = null!;
        _touched = [];
    }

    /// <summary>The weight of FLOP efficiency against recency.</summary>
    public double Alpha { get; }

    /// <summary>Prefill FLOPs a block at <paramref name="depth"/> saves per byte, relative to a block with no prefix.</summary>
    public static double FlopEfficiency(int depth) => 1 + (AttentionPerDepth * (Math.Max(0, depth) + 0.5));

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        _list = new HandleList(tier.Capacity);
        _touched = new double[tier.Capacity];
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _touched[handle] = _tier.Now;
        _list.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        _touched[handle] = _tier.Now;
        _list.MoveToFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _list.Remove(handle);

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        Span<int> candidates = stackalloc int[Window];
        int count = 0;
        int lru = -1;
        int looked = 0;
        double minTime = double.PositiveInfinity, maxTime = double.NegativeInfinity;
        int minDepth = int.MaxValue, maxDepth = int.MinValue;
        for (int h = _list.Tail; h >= 0 && count < Window && looked < MaxLooked; h = _list.Previous(h))
        {
            if (!_tier.IsEvictable(h))
            {
                continue;
            }

            looked++;
            lru = lru < 0 ? h : lru;
            if (_tier.ResidentChildren(h) != 0)
            {
                continue;
            }

            candidates[count++] = h;
            minTime = Math.Min(minTime, _touched[h]);
            maxTime = Math.Max(maxTime, _touched[h]);
            minDepth = Math.Min(minDepth, _tier.Depth(h));
            maxDepth = Math.Max(maxDepth, _tier.Depth(h));
        }

        if (count == 0)
        {
            return lru;
        }

        double timeSpan = maxTime - minTime;
        double efficiencySpan = FlopEfficiency(maxDepth) - FlopEfficiency(minDepth);
        int best = candidates[0];
        double bestScore = double.PositiveInfinity;
        for (int i = 0; i < count; i++)
        {
            int h = candidates[i];
            double recency = timeSpan > 0 ? (_touched[h] - minTime) / timeSpan : 0;
            double efficiency = efficiencySpan > 0 ? (FlopEfficiency(_tier.Depth(h)) - FlopEfficiency(minDepth)) / efficiencySpan : 0;
            double score = recency + (Alpha * efficiency);
            if (score < bestScore)
            {
                bestScore = score;
                best = h;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }
}
