using System.Globalization;
using KvTiering.Eviction;

namespace KvTiering.Simulation.Policies;

/// <summary>
/// Parses "agent:key=value+key=value" into an agent policy with those tunables, so the harness can run ablations by name
/// (e.g. "agent:lindy=0", "agent:tail=false").
/// </summary>
public static class AgentPolicyVariants
{
    /// <summary>The settings <see cref="Parse"/> knows, in the order its error message lists them.</summary>
    internal static readonly string[] SettingNames =
    [
        "lindy", "probation", "smoothing", "window", "shared", "aging", "geo", "clip", "forget", "oracle", "tail",
        "predict", "bypass", "stale", "sharedtail", "recheck", "mini", "minirate", "usergap", "userwait",
        "toolwait", "ownuser", "unanswered", "anonarc", "anonorder", "anonrealshadow", "userinput", "brief",
        "ended", "anonpaired", "anonadaptive", "anongate", "anonshadow", "anonfloor", "anonarcdemand",
        "anonselfshadow", "learned", "learnedhorizon", "learnedscale", "learnedunended", "density",
        "densityhorizon", "length", "usernever", "rank", "oracleadmit", "oraclenoise", "oraclestates", "statescale"
    ];

    /// <summary>
    /// Every built-in policy by name (<see cref="EvictionPolicies.FromName"/>), agent ablations written
    /// "agent:key=value+key=value", and classic policies with settings (<see cref="ClassicPolicyVariants"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No policy has that name, or an ablation setting is unknown or malformed; the message names it.</exception>
    public static EvictionPolicy FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().StartsWith("agent:", StringComparison.OrdinalIgnoreCase) ? Parse(name.Trim())
            : ClassicPolicyVariants.Handles(name.Trim()) ? ClassicPolicyVariants.Parse(name)
            : EvictionPolicies.FromName(name);
    }

    /// <summary>An agent policy with the tunables in <paramref name="spec"/> ("agent:lindy=0+tail=false").</summary>
    /// <exception cref="ArgumentException">A setting is unknown or malformed; the message names it.</exception>
    public static EvictionPolicy Parse(string spec)
    {
        AgentPolicyOptions options = AgentPolicyOptions.Default;
        string body = spec[(spec.IndexOf(':', StringComparison.Ordinal) + 1)..];
        foreach (string part in body.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                ThrowHelper.ThrowArgument(nameof(spec), $"Agent policy setting '{part}' in '{spec}' is not key=value.");
            }

            string key = part[..eq].ToLowerInvariant();
            string value = part[(eq + 1)..];
            options = key switch
            {
                "lindy" => options with { LindyFactor = Number(value, part, spec) },
                "probation" => options with { ProbationFactor = Number(value, part, spec) },
                "smoothing" => options with { GapSmoothing = Number(value, part, spec) },
                "window" => options with { RequestWindowSeconds = Number(value, part, spec) },
                "shared" => options with { SharedShare = Number(value, part, spec) },
                "aging" => options with { SharedAging = Number(value, part, spec) },
                "geo" => options with { GeometricGaps = Flag(value, part, spec) },
                "oracle" => Oracle(options, value, part, spec),
                "oracleadmit" => options with { OracleAdmission = Flag(value, part, spec) },
                "oraclenoise" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.NextRequestSeconds, OracleNoise = Number(value, part, spec) },
                "statescale" => options with { StateScale = Scales(value, part, spec) },
                "oraclestates" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.NextRequestSeconds, OracleStates = States(value, part, spec) },
                "clip" => options with { GapClip = Number(value, part, spec) },
                "forget" => options with { ForgetEmptySessions = Flag(value, part, spec) },
                "tail" => options with { TailFirst = Flag(value, part, spec) },
                "predict" => options with { PredictReturn = Flag(value, part, spec) },
                "bypass" => options with { Bypass = Flag(value, part, spec) },
                "stale" => options with { StaleAging = Number(value, part, spec) },
                "usergap" => options with { LearnUserGap = Flag(value, part, spec) },
                "mini" => options with { Miniature = Flag(value, part, spec) },
                "minirate" => options with { MiniatureRate = Math.Max(1, (int)Number(value, part, spec)) },
                "recheck" => options with { RecheckVictim = Flag(value, part, spec) },
                "userwait" => options with { UserWaitModel = Flag(value, part, spec) },
                "toolwait" => options with { ToolWaitModel = Flag(value, part, spec) },
                "sharedtail" => options with { SharedTailFirst = Flag(value, part, spec) },
                "anonarc" => options with { AnonymousArc = Flag(value, part, spec) },
                "anonorder" => options with { AnonymousOrder = Order(value, part, spec) },
                "unanswered" => options with { UnansweredFactor = Number(value, part, spec) },
                "ownuser" => options with { OwnUserPrior = Number(value, part, spec) },
                "anonrealshadow" => options with { AnonymousShadowRealSteps = Flag(value, part, spec) },
                "userinput" => options with { UserInputClasses = Flag(value, part, spec) },
                "brief" => options with { BriefReplyTokens = (int)Number(value, part, spec) },
                "ended" => options with { EndedFactor = Number(value, part, spec) },
                "anonpaired" => options with { AnonymousPairedMinimum = Number(value, part, spec) },
                "anonadaptive" => options with { AnonymousSmallQueueCap = Number(value, part, spec) },
                "anongate" => options with { AnonymousGateRatio = Number(value, part, spec) },
                "anonshadow" => options with { AnonymousShadowBlocks = Math.Max(1, (int)Number(value, part, spec)) },
                "anonfloor" => options with { AnonymousShadowFloor = (int)Number(value, part, spec) },
                "anonarcdemand" => options with { AnonymousArcOnDemand = Flag(value, part, spec) },
                "anonselfshadow" => options with { AnonymousSelfShadow = Flag(value, part, spec) },
                "learned" => options with { LearnedReturn = Number(value, part, spec) is var n && n is 0 or 1 or 2 or 3 ? (int)n
                    : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs 0, 1, 2 or 3.", nameof(spec)) },
                "learnedhorizon" => options with { LearnedHorizon = Flag(value, part, spec) },
                "learnedscale" => options with { LearnedOwnScale = Flag(value, part, spec) },
                "learnedunended" => options with { LearnedUnendedFactor = Number(value, part, spec) },
                "density" => options with { HitDensity = Number(value, part, spec) is var m && m == Math.Floor(m) && m <= 31 ? (int)m
                    : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs a whole number from 0 to 31.", nameof(spec)) },
                "length" => options with { ContextLengthExponent = Number(value, part, spec) },
                "usernever" => options with { UserNeverFactor = Number(value, part, spec) },
                "rank" => options with { LearnedRank = Rank(value, part, spec) },
                "densityhorizon" => options with { HitDensityHorizon = Number(value, part, spec) is var k && k > 0 ? k
                    : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs a positive number.", nameof(spec)) },
                _ => throw new ArgumentException(
                    $"Unknown agent policy setting '{key}' in '{spec}'. Valid: {string.Join(", ", SettingNames)}.",
                    nameof(spec)),
            };
        }

        return EvictionPolicy.Create(spec.Trim().ToLowerInvariant(), () => new AgentPolicy(options));
    }

    private static double Number(string value, string part, string spec) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= 0
            ? d
            : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs a non-negative number.", nameof(spec));

    private static AgentAnonymousOrder Order(string value, string part, string spec) =>
        value.ToLowerInvariant() switch
        {
            "auto" => AgentAnonymousOrder.Adaptive,
            "arc" => AgentAnonymousOrder.Arc,
            "s3fifo" => AgentAnonymousOrder.S3Fifo,
            _ => throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs auto, arc or s3fifo.", nameof(spec)),
        };

    /// <summary>"statescale=a/b/c": the rules' wait × a in flight, × b paused, × c awaiting the user (a diagnostic, session 23).</summary>
    private static (double, double, double) Scales(string value, string part, string spec)
    {
        string[] v = value.Split('/');
        return v.Length == 3 ? (Number(v[0], part, spec), Number(v[1], part, spec), Number(v[2], part, spec))
            : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs three '/'-separated factors (in flight, paused, user).", nameof(spec));
    }

    /// <summary>"oraclestates=inflight/paused/user" (any of the three, '/'-separated): the states a partial oracle ranks.</summary>
    private static AgentOracleStates States(string value, string part, string spec)
    {
        AgentOracleStates states = AgentOracleStates.None;
        foreach (string name in value.Split('/', StringSplitOptions.TrimEntries))
        {
            states |= name.ToLowerInvariant() switch
            {
                "inflight" => AgentOracleStates.InFlight,
                "paused" => AgentOracleStates.Paused,
                "user" => AgentOracleStates.AwaitingUser,
                _ => throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' names '{name}': use inflight, paused or user, '/'-separated.", nameof(spec)),
            };
        }

        return states;
    }

    /// <summary>"oracle=true|false", or the oracle's rank: "request" (true's), "deepest" (before session 22), "block", "seconds" (request's, as a wait in seconds).</summary>
    private static AgentPolicyOptions Oracle(AgentPolicyOptions options, string value, string part, string spec) =>
        value.ToLowerInvariant() switch
        {
            "request" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.NextRequest },
            "deepest" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.DeepestBlock },
            "block" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.VictimBlock },
            "seconds" => options with { OracleDiagnostic = true, OracleRank = AgentOracleRank.NextRequestSeconds },
            _ when bool.TryParse(value, out bool b) => options with { OracleDiagnostic = b },
            _ => throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs true, false, request, deepest, block or seconds.", nameof(spec)),
        };

    private static bool Rank(string value, string part, string spec) =>
        value.ToLowerInvariant() switch
        {
            "rules" => false,
            "learned" => true,
            _ => throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs rules or learned.", nameof(spec)),
        };

    private static bool Flag(string value, string part, string spec) =>
        bool.TryParse(value, out bool b)
            ? b
            : throw new ArgumentException($"Agent policy setting '{part}' in '{spec}' needs true or false.", nameof(spec));
}
