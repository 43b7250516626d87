using System.Globalization;
using KvTiering.Placement;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Placement;

/// <summary>
/// Labels every request of a trace from its features, for <c>kvtier simulate --labels-from</c>. A rule is one or
/// more parts joined by '+', each setting its own axes (a later part wins on an axis both set):
/// <c>context[:TOKENS]</c> (long when input ≥ TOKENS, default 8192), <c>session-size[:N]</c> (interactive when the
/// session has ≥ N requests, default 2; otherwise batch), <c>phase[:RATIO]</c> (prefill-heavy when input ÷ output ≥
/// RATIO, default 10; otherwise decode-heavy) and <c>fixed:LABELS</c> (e.g. <c>fixed:edge,small</c>).
/// </summary>
public sealed class LabelRule
{
    /// <summary>Default long-context threshold of the <c>context</c> part, tokens.</summary>
    public const int DefaultLongContextTokens = 8192;

    /// <summary>Default session size from which the <c>session-size</c> part calls a session interactive.</summary>
    public const int DefaultInteractiveSessionRequests = 2;

    /// <summary>Default input ÷ output ratio from which the <c>phase</c> part calls a request prefill-heavy.</summary>
    public const double DefaultPrefillHeavyRatio = 10;

    private readonly List<Func<Trace, int[]?, int, WorkloadLabels>> _parts;
    private readonly bool _needsSessionSizes;

    private LabelRule(string text, List<Func<Trace, int[]?, int, WorkloadLabels>> parts, bool needsSessionSizes)
    {
        Text = text;
        _parts = parts;
        _needsSessionSizes = needsSessionSizes;
    }

    /// <summary>The rule as written.</summary>
    public string Text { get; }

    /// <summary>Parses a rule (see the type's summary).</summary>
    /// <exception cref="ArgumentException">A part is unknown or its parameter is invalid; the message names it.</exception>
    public static LabelRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<Func<Trace, int[]?, int, WorkloadLabels>>();
        bool sessions = false;
        foreach (string raw in text.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = raw.IndexOf(':', StringComparison.Ordinal);
            string name = (colon < 0 ? raw : raw[..colon]).ToLowerInvariant();
            string? arg = colon < 0 ? null : raw[(colon + 1)..];
            switch (name)
            {
                case "context":
                    int threshold = PositiveInt(arg, DefaultLongContextTokens, raw);
                    WorkloadLabels isLong = new(context: ContextLength.LongContext);
                    WorkloadLabels isShort = new(context: ContextLength.ShortContext);
                    parts.Add((trace, _, r) => trace.InputTokens[r] >= threshold ? isLong : isShort);
                    break;
                case "session-size":
                    int size = PositiveInt(arg, DefaultInteractiveSessionRequests, raw);
                    WorkloadLabels interactive = new(latency: LatencyClass.Interactive);
                    WorkloadLabels batch = new(latency: LatencyClass.Batch);
                    parts.Add((_, counts, r) => counts![r] >= size ? interactive : batch);
                    sessions = true;
                    break;
                case "phase":
                    double ratio = arg is null ? DefaultPrefillHeavyRatio : PositiveDouble(arg, raw);
                    WorkloadLabels prefill = new(phase: WorkloadPhase.PrefillHeavy);
                    WorkloadLabels decode = new(phase: WorkloadPhase.DecodeHeavy);
                    parts.Add((trace, _, r) => trace.InputTokens[r] >= ratio * Math.Max(1, trace.OutputTokens[r]) ? prefill : decode);
                    break;
                case "fixed":
                    WorkloadLabels fixedLabels = WorkloadLabels.Parse(arg ?? throw Invalid(raw, "needs labels, e.g. fixed:interactive,edge"));
                    parts.Add((_, _, _) => fixedLabels);
                    break;
                default:
                    throw Invalid(raw, "is not one of context[:TOKENS], session-size[:N], phase[:RATIO], fixed:LABELS");
            }
        }

        return parts.Count > 0 ? new LabelRule(text, parts, sessions) : throw new ArgumentException($"Label rule '{text}' has no part.", nameof(text));
    }

    /// <summary>The labels of every request of <paramref name="trace"/>, in request order.</summary>
    public WorkloadLabels[] Assign(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        int[]? counts = _needsSessionSizes ? CountSessions(trace) : null;
        var labels = new WorkloadLabels[trace.RequestCount];
        for (int r = 0; r < labels.Length; r++)
        {
            WorkloadLabels l = default;
            foreach (Func<Trace, int[]?, int, WorkloadLabels> part in _parts)
            {
                l = l.With(part(trace, counts, r));
            }

            labels[r] = l;
        }

        return labels;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Requests per session, aligned with requests; a request with session 0 (no session) is a session of one.</summary>
    private static int[] CountSessions(Trace trace)
    {
        var perSession = new Dictionary<long, int>();
        foreach (long s in trace.Session)
        {
            perSession[s] = perSession.GetValueOrDefault(s) + 1;
        }

        var counts = new int[trace.RequestCount];
        for (int r = 0; r < counts.Length; r++)
        {
            counts[r] = trace.Session[r] == 0 ? 1 : perSession[trace.Session[r]];
        }

        return counts;
    }

    private static int PositiveInt(string? arg, int fallback, string raw)
    {
        if (arg is null)
        {
            return fallback;
        }

        return int.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw Invalid(raw, $"parameter '{arg}' is not a positive integer");
    }

    private static double PositiveDouble(string arg, string raw) =>
        double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d > 0 && double.IsFinite(d)
            ? d
            : throw Invalid(raw, $"parameter '{arg}' is not a positive number");

    private static ArgumentException Invalid(string part, string why) => new($"Label rule part '{part}' {why}.");
}
