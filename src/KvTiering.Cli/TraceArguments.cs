using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Cli;

/// <summary>
/// The trace options of <c>kvtier simulate</c>: <c>--trace</c>, <c>--format</c>
/// (guessed from the path when absent), <c>--trace-options</c>, <c>--stagger</c>, <c>--sessions</c>,
/// <c>--shared-tools</c>, <c>--seed</c>, <c>--semantics</c> and the trace cache's <c>--no-cache</c>/<c>--cache-dir</c>.
/// </summary>
internal static class TraceArguments
{
    /// <summary>Reads the trace the options name; a bad value is a <see cref="CliException"/> that names it.</summary>
    public static Trace Load(Arguments a)
    {
        string? path = a.Get("trace");
        string formatText = a.Get("format") ?? (path is null ? "synthetic" : GuessFormat(path));
        TraceFormat format = formatText.ToLowerInvariant() switch
        {
            "mooncake" => TraceFormat.Mooncake,
            "weka" => TraceFormat.Weka,
            "synthetic" => TraceFormat.Synthetic,
            "txt" => TraceFormat.Txt,
            "csv" => TraceFormat.Csv,
            "oraclegeneral" => TraceFormat.OracleGeneral,
            "bailian" => TraceFormat.Bailian,
            _ => throw new CliException($"--format '{formatText}' is not one of {string.Join(", ", s_formats)}{Suggest.DidYouMean(formatText, s_formats)}"),
        };

        CsvTraceOptions? csv = null;
        if (a.Get("trace-options") is { } csvText)
        {
            if (format != TraceFormat.Csv)
            {
                throw new CliException("--trace-options applies to --format csv only");
            }

            try
            {
                csv = CsvTraceOptions.Parse(csvText);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ExceptionMessages.Clean(ex));
            }
        }

        if (format != TraceFormat.Synthetic && path is null)
        {
            throw new CliException($"--format {formatText} needs --trace PATH");
        }

        // These shape a WEKA replay only; elsewhere they were ignored without a word, so --sessions even and odd of a
        // Mooncake trace replayed the same requests and looked like a held-out result.
        foreach (string wekaOnly in (ReadOnlySpan<string>)["stagger", "sessions", "shared-tools"])
        {
            if (format != TraceFormat.Weka && a.Has(wekaOnly))
            {
                throw new CliException($"--{wekaOnly} applies to WEKA traces only; this one is read as {formatText}");
            }
        }

        if (format != TraceFormat.Synthetic && a.Has("seed"))
        {
            throw new CliException($"--seed seeds the synthetic workload only (no --trace); this trace is read as {formatText}");
        }

        double stagger = a.GetDouble("stagger", 30);
        if (stagger < 0)
        {
            throw new CliException($"--stagger {stagger} must not be negative");
        }

        (int modulus, int remainder) = a.Get("sessions")?.ToLowerInvariant() switch
        {
            null or "all" => (1, 0),
            "even" => (2, 0),
            "odd" => (2, 1),
            string other => throw new CliException($"--sessions {other} must be all, even or odd"),
        };
        var options = new TraceLoadOptions
        {
            StaggerSeconds = stagger,
            SessionModulus = modulus,
            SessionRemainder = remainder,
            SharedToolPrefix = a.Has("shared-tools"),
            UseCache = !a.Has("no-cache"),
            Csv = csv,
            CacheDirectory = a.Get("cache-dir"),
            Synthetic = new KvTiering.Simulation.Workloads.SyntheticAgentOptions { Seed = a.GetInt("seed", 1) },
        };
        Trace trace = TraceLoader.Load(path ?? "synthetic", format, options);
        return a.Get("semantics")?.ToLowerInvariant() switch
        {
            null or "prefix" => trace,
            "reference" => ReferenceSemantics.Explode(trace),
            { } other => throw new CliException($"--semantics '{other}' is not one of prefix, reference"),
        };
    }

    private static readonly string[] s_formats = ["mooncake", "weka", "bailian", "txt", "csv", "oracleGeneral", "synthetic"];

    /// <summary>The format a path's name suggests: a folder or .json(.gz) is WEKA, .txt/.csv libCacheSim's, else Mooncake.</summary>
    internal static string GuessFormat(string path) =>
        Directory.Exists(path) || path.Contains(".json.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? "weka"
            : path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) ? "txt"
            : path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "csv"
            : path.Contains("oracleGeneral", StringComparison.OrdinalIgnoreCase) ? "oracleGeneral"
            : "mooncake";
}
