namespace KvTiering.Eviction;

/// <summary>
/// A learned correction to the rules' rank of a live session (<see cref="AgentPolicyOptions.LearnedRank"/>): the rank
/// is the rules' expected wait w times exp(Σ cᵢ xᵢ) over scale-free features of the session (its idle time against its
/// own gap, its state and how long it has been in it, its turns, context, resident blocks and last growth), with
/// weights fitted offline to imitate Belady's choice between two resident sessions (which one returns later).
/// </summary>
/// <remarks>
/// Imitation of the oracle rather than prediction of the wait: PARROT (Liu et al., "An Imitation Learning Approach for
/// Cache Replacement", ICML 2020) and Glider (Shi et al., "Applying Deep Learning to the Cache Replacement Problem",
/// MICRO 2019) learn Belady's decision; LRB (Song et al., NSDI 2020) the online features. The rules' own log rank is a
/// feature with its weight fixed at 1 (a pairwise ranking is unchanged by scaling the weights), so the model learns
/// corrections to rules 2 and 8, not a replacement, and the rank stays in seconds beside the shared segment's and the
/// dead branches' (rule 4). The fit: tools/rank-fit (docs/policies/agent-research-log.md, "Session 21, rank22").
/// </remarks>
internal static class AgentLearnedRank
{
    /// <summary>How many features <see cref="Features"/> writes.</summary>
    public const int FeatureCount = 14;

    /// <summary>Times below this (seconds) count as this, so a logarithm never sees zero.</summary>
    private const double MinSeconds = 1e-3;

    /// <summary>
    /// The session's features at <paramref name="now"/>, given the rules' rank <paramref name="rule"/> and its typical
    /// gap <paramref name="typical"/> (its own, or the probation estimate): 0 log w, 1 log τ (since its request),
    /// 2 log g, 3 max(0, log τ/g), 4 paused, 5 awaiting its user, 6 paused × log(time since the hint), 7 awaiting ×
    /// log(time since the hint), 8 log turns, 9 log context blocks, 10 log resident blocks, 11 log blocks its previous
    /// request added, 12 the latest request answered a user, 13 on probation (no gap yet).
    /// </summary>
    public static void Features(ref AgentSession s, double now, double rule, double typical, Span<double> x)
    {
        double logIdle = Math.Log(Math.Max(now - s.LastRequest, MinSeconds));
        double logGap = Math.Log(Math.Max(typical, MinSeconds));
        bool paused = s.State == AgentSessionState.Paused;
        bool awaiting = s.State == AgentSessionState.AwaitingUser;
        double logHint = paused || awaiting ? Math.Log(Math.Max(now - s.HintAt, MinSeconds)) : 0;
        x[0] = Math.Log(Math.Max(rule, MinSeconds));
        x[1] = logIdle;
        x[2] = logGap;
        x[3] = Math.Max(0, logIdle - logGap);
        x[4] = paused ? 1 : 0;
        x[5] = awaiting ? 1 : 0;
        x[6] = paused ? logHint : 0;
        x[7] = awaiting ? logHint : 0;
        x[8] = Math.Log(Math.Max(s.Requests, 1));
        x[9] = Math.Log(Math.Max(s.RequestDepth, 0) + 2);
        x[10] = Math.Log(s.Count + 1);
        x[11] = Math.Log(Math.Max(s.PrevAdded, 0) + 1);
        x[12] = s.AfterUser ? 1 : 0;
        x[13] = double.IsNaN(s.Gap) ? 1 : 0;
    }
}
