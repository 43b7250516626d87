using System.Globalization;

namespace AgentLoad;

/// <summary>Command-line settings of a load run.</summary>
internal sealed record LoadOptions
{
    public string Trace { get; init; } = Path.Combine("..", "shared", "traces", "weka-claude-code");

    public int Sessions { get; init; } = 4;

    public int RequestsPerSession { get; init; } = 6;

    public double TimeScale { get; init; } = 0.01;

    public int MaxTokens { get; init; } = 4;

    public string Preset { get; init; } = "sample";

    public int ContextSize { get; init; } = 2048;

    public int Sequences { get; init; } = 2;

    public int DramMiB { get; init; } = 64;

    public int FlashMiB { get; init; } = 1024;

    /// <summary>
    /// The runs: the in-process servers to host (agent, lru, none), or with <see cref="Url"/> the one label of the
    /// run against that server (default: the address).
    /// </summary>
    public string[] Configurations { get; init; } = ["agent", "lru", "none"];

    public string? Url { get; init; }

    public string? Csv { get; init; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        string[]? configs = null; // as given, to tell an explicit --configs from the default
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v : throw new ArgumentException($"{name} needs a positive integer, not '{args[i]}'.");
            o = name switch
            {
                "--trace" => o with { Trace = Value() },
                "--sessions" => o with { Sessions = Int() },
                "--requests" => o with { RequestsPerSession = Int() },
                "--time-scale" => o with
                {
                    TimeScale = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0
                        ? s : throw new ArgumentException($"--time-scale needs a number >= 0, not '{args[i]}'."),
                },
                "--max-tokens" => o with { MaxTokens = Int() },
                "--preset" => o with
                {
                    Preset = Value() is "tiny" or "sample" ? args[i] : throw new ArgumentException($"--preset is tiny or sample, not '{args[i]}'."),
                },
                "--context" => o with { ContextSize = Int() },
                "--sequences" => o with { Sequences = Int() },
                "--dram-mib" => o with { DramMiB = Int() },
                "--flash-mib" => o with { FlashMiB = Int() },
                "--configs" => o with { Configurations = configs = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--url" => o with
                {
                    Url = Uri.TryCreate(Value(), UriKind.Absolute, out Uri? u) && u.Scheme is "http" or "https"
                        ? args[i] : throw new ArgumentException($"--url needs an http:// or https:// address, not '{args[i]}'."),
                },
                "--csv" => o with { Csv = Value() },
                _ => throw new ArgumentException($"Unknown option '{name}'. Options: --trace --sessions --requests --time-scale --max-tokens --preset --context --sequences --dram-mib --flash-mib --configs --url --csv."),
            };
        }

        if (o.Url is { } url)
        {
            // One server, one run: replaying it three times under the in-process servers' names labelled the same
            // server "no prefix cache" while it restored nearly every token.
            return configs is null ? o with { Configurations = [url] }
                : configs.Length == 1 ? o
                : throw new ArgumentException("--url drives one server: --configs names its one run (a label such as agent), or leave it out.");
        }

        foreach (string c in o.Configurations)
        {
            if (c is not ("agent" or "lru" or "none"))
            {
                throw new ArgumentException($"--configs has '{c}'; each must be agent, lru or none.");
            }
        }

        return o;
    }
}
