namespace KvTiering.Eviction;

/// <summary>
/// Which ordering the tier runs on: expected return or recency, chosen by miniature simulation. A hashed sample of
/// the sessions (1 in <see cref="AgentPolicyOptions.MiniatureRate"/>) is replayed, metadata only, into two small
/// caches of the tier's capacity scaled by the same rate, one ranking sessions by expected return and one by recency;
/// the tier follows whichever has recently hit more.
/// </summary>
/// <remarks>
/// Miniature simulation after Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations"
/// (USENIX ATC 2017): a cache fed a spatially hashed sample of the keys at the sampled share of the capacity behaves
/// like the full cache, so a few small shadow caches can compare configurations online. Here the sample is by session
/// (a session's blocks stay together, as the policy keeps them) and each miniature holds, per sampled session, only the
/// length of its resident prefix (the agent policy never keeps a tail without its prefix), so a reference costs an
/// array read and a hit an add. Unlike a pairwise duel, which judges each disputed eviction alone, the miniatures
/// measure what each ordering's whole set of choices hits, which is where keeping a subset of sessions whole pays.
/// </remarks>
internal sealed class AgentMiniatures
{
    /// <summary>
    /// Blocks a miniature needs at least: below this many per sampled share, fewer sessions are left out. A miniature
    /// compares orderings only if it holds several whole sessions, and agent contexts run to thousands of blocks (the
    /// median WEKA request is 1,609 blocks of 64 tokens), so this is room for a handful of them.
    /// </summary>
    private const int MinMiniatureBlocks = 8192;

    /// <summary>Past hits fade once the sampled sessions have asked for this many times a miniature's capacity.</summary>
    private const double MiniatureMemory = 128;

    private readonly int _rate;        // 1 in this many sessions is sampled
    private readonly double _keep;     // per sampled reference, the share of past hits that still counts
    private readonly SessionMiniature _predict;
    private readonly SessionMiniature _recency;

    private AgentMiniatures(AgentSessionRanking table, int rate, int capacity)
    {
        _rate = rate;
        int miniCapacity = Math.Max(1, capacity / rate);
        _keep = 1 - (1.0 / (MiniatureMemory * (double)miniCapacity));
        _predict = new SessionMiniature(table, predict: true, miniCapacity);
        _recency = new SessionMiniature(table, predict: false, miniCapacity);
    }

    /// <summary>Whether the tier follows the expected-return ordering now (recency otherwise).</summary>
    public bool Predict { get; private set; } = true;

    /// <summary>The miniatures for a tier of <paramref name="capacity"/> blocks, or null when the options turn them off.</summary>
    public static AgentMiniatures? For(AgentSessionRanking table, AgentPolicyOptions options, int capacity, int tierIndex)
    {
        if (!options.Miniature || options.MiniatureRate < 1 || !options.PredictReturn || (options.OracleDiagnostic && options.OracleStates == AgentOracleStates.All) || tierIndex != 0)
        {
            return null;
        }

        // A miniature needs room for a few sessions to say anything: a small tier samples more (all, under 16,384 blocks).
        return new AgentMiniatures(table, Math.Max(1, Math.Min(options.MiniatureRate, capacity / MinMiniatureBlocks)), capacity);
    }

    /// <summary>Whether a session is in the sample (session 0, no session, never is).</summary>
    public bool IsSampled(long session) =>
        session != 0 && (uint)(((ulong)session * 0x9E3779B97F4A7C15UL) >> 32) % (uint)_rate == 0;

    /// <summary>
    /// A sampled session references the block at <paramref name="depth"/>: both miniatures replay it. Returns whether
    /// the ordering the tier follows changed.
    /// </summary>
    public bool Reference(int slot, int depth, double now, bool newRequest)
    {
        if (!newRequest && _predict.Holds(slot, depth) && _recency.Holds(slot, depth))
        {
            // A hit in both (most sampled hits): both tallies gain alike, so the choice cannot change.
            _predict.Hits = (_predict.Hits * _keep) + 1;
            _recency.Hits = (_recency.Hits * _keep) + 1;
            return false;
        }

        _predict.Hits *= _keep;
        _recency.Hits *= _keep;
        _predict.Reference(slot, depth, now, newRequest);
        _recency.Reference(slot, depth, now, newRequest);
        bool choice = _predict.Hits >= _recency.Hits;
        if (choice == Predict)
        {
            return false;
        }

        Predict = choice;
        return true;
    }

    /// <summary>A sampled session's slot is forgotten or reused: it leaves both miniatures.</summary>
    public void Forget(int slot)
    {
        _predict.Drop(slot);
        _recency.Drop(slot);
    }
}
