namespace KvTiering.Eviction;

/// <summary>
/// The learned ranker's weights (<see cref="AgentLearnedRank"/>): one model for a server that sends hints, one for a
/// server that does not (the first hint switches), each fitted on the even half of the WEKA sessions by
/// tools/rank-fit (docs/policies/agent.md, "Session 21, rank22").
/// </summary>
internal sealed class AgentLearnedWeights
{
    /// <summary>Largest correction exponent (either sign): the correction scales a rank by at most e^this.</summary>
    private const double MaxCorrection = 30;

    // Weights of features 1..13 of AgentLearnedRank.Features (feature 0, the rules' log rank, has weight 1: the fitted
    // weights divided by its fitted weight). Fitted 2026-12-06 on the even WEKA half, 1% and 2.5%, every 400th victim
    // choice, 20 random pairs among agent's top 16 per choice (docs/policies/agent.md, "Session 21, rank22"):
    //   python3 tools/rank-fit/rankfit.py fit even-1%.csv even-2.5%.csv      (RANKFIT_PAIRS=20, one file per hint mode)
    // Order: log τ, log g, past gap, paused, awaiting, paused × log hint age, awaiting × log hint age, log turns,
    // log context, log resident, log previous growth, after a user's message, on probation.
    private static readonly double[] WithHints = [0.0106, 0.3516, 0.7732, -0.8831, 0.2907, 0.1037, -0.1600, -0.0360, 0.0213, -0.0429, -0.0111, 0.2388, -0.2002];
    private static readonly double[] WithoutHints = [-0.1873, 1.1866, 2.1645, 0, 0, 0, 0, -0.1132, 0.3454, -0.2803, 0.0007, -0.1753, -0.1753];

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
