namespace KvTiering.Eviction;

/// <summary>
/// The learned ranker's weights (<see cref="AgentLearnedRank"/>): one model for a server that sends hints, one for a
/// server that does not (the first hint switches), each fitted on the even half of the WEKA sessions by
/// tools/rank-fit (docs/policies/agent-research-log.md, "Session 21, rank22"; refitted on next-request labels in "Session 22, refit23").
/// </summary>
internal sealed class AgentLearnedWeights
{
    /// <summary>Largest correction exponent (either sign): the correction scales a rank by at most e^this.</summary>
    private const double MaxCorrection = 30;

    // Weights of features 1..13 of AgentLearnedRank.Features (feature 0, the rules' log rank, has weight 1: the fitted
    // weights divided by its fitted weight). Fitted 2026-12-06 on the even WEKA half, 1% and 2.5%, every 400th victim
    // choice, 20 random pairs among agent's top 16 per choice, labelled by each session's next request (the refit of
    // docs/policies/agent-research-log.md, "Session 22, refit23"; Session 21's weights, fitted on the deepest
    // block's next use, are listed in its "Session 21, rank22" section):
    //   RANKFIT_LABEL=request RANKFIT_PAIRS=20 python3 tools/rank-fit/rankfit.py fit even-1%.csv even-2.5%.csv
    // Order: log τ, log g, past gap, paused, awaiting, paused × log hint age, awaiting × log hint age, log turns,
    // log context, log resident, log previous growth, after a user's message, on probation.
    private static readonly double[] WithHints = [0.0103, 0.4623, 0.7099, -0.8468, 0.1324, 0.1034, -0.2684, -0.0356, 0.0226, -0.0474, -0.0153, -0.2347, -0.0651];
    private static readonly double[] WithoutHints = [-0.1796, 1.3004, 2.0683, 0, 0, 0, 0, -0.0811, 0.2926, -0.2475, -0.0049, -0.2502, -0.2502];

    private readonly AgentHitDensity _hints;

    /// <summary>Weights chosen by whether <paramref name="hints"/> has seen a hint.</summary>
    public AgentLearnedWeights(AgentHitDensity hints) => _hints = hints;

    /// <summary>The session's learned rank: <paramref name="rule"/> × exp(Σ cᵢ xᵢ).</summary>
    public double Rank(ref AgentSession s, double now, double rule, double typical) =>
        Rank(ref s, now, rule, typical, _hints.Hinted ? Trial(WithHints, "KVTIER_RANKW_HINTS") : Trial(WithoutHints, "KVTIER_RANKW"));

#if KVTIER_RANKDUMP
    private static readonly double[]? TrialHints = Read("KVTIER_RANKW_HINTS");
    private static readonly double[]? TrialNoHints = Read("KVTIER_RANKW");

    /// <summary>In a KVTIER_RANKDUMP build, weights to try from <paramref name="variable"/> (comma-separated), if set.</summary>
    private static double[] Trial(double[] weights, string variable) =>
        (variable == "KVTIER_RANKW_HINTS" ? TrialHints : TrialNoHints) ?? weights;

    private static double[]? Read(string variable)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(text) ? null
            : text.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
#else
    private static double[] Trial(double[] weights, string variable) => weights;
#endif

    /// <summary>The rank with the given correction weights (features 1..); a test sets its own.</summary>
    public static double Rank(ref AgentSession s, double now, double rule, double typical, ReadOnlySpan<double> weights)
    {
        if (rule <= 0 || rule >= 1e12)
        {
            return rule; // before its gap is due (rule 2's g − τ) or past every live session: nothing to correct
        }

        Span<double> x = stackalloc double[AgentLearnedRank.FeatureCount];
        AgentLearnedRank.Features(ref s, now, rule, typical, x);
        double z = 0;
        for (int i = 1; i < x.Length; i++)
        {
            z += weights[i - 1] * x[i];
        }

        return rule * Math.Exp(Math.Clamp(z, -MaxCorrection, MaxCorrection));
    }
}
