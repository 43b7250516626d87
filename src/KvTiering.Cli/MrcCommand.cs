using System.CommandLine;
using System.Text.Json;
using KvTiering.Cli.Plots;
using KvTiering.Simulation.Reports;

namespace KvTiering.Cli;

/// <summary><c>kvtier mrc</c>: draw the curves of a JSON result file as SVG or PNG.</summary>
internal static class MrcCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("mrc", "Draw the hit-rate curves of a result file written by 'kvtier simulate --json' as SVG or PNG.")
        {
            Arguments.Value("json", "FILE", "The result file to draw (required)."),
            Arguments.Value("svg", "FILE", "Where to write the curves as SVG (this or --png is required)."),
            Arguments.Value("png", "FILE", "Where to write the curves as a PNG image."),
            Arguments.Value("gap-plot", "FILE", "Also draw the share of the LRU -> Belady gap each policy closes (.svg or .png; the file needs lru and belady)."),
            Arguments.Value("title", "TEXT", "The plot's title (default: the trace's name)."),
        };
        command.SetAction(r => Run(new Arguments(r), stdout));
        return command.WithExamples(
            "kvtier mrc --json results.json --svg curves.svg --png curves.png --title \"WEKA, 64-token blocks\"",
            "kvtier mrc --json results.json --gap-plot gap.svg --svg curves.svg");
    }

    private static int Run(Arguments a, TextWriter stdout)
    {
        string json = a.Require("json");
        string? svg = a.Get("svg"), png = a.Get("png");
        if (svg is null && png is null)
        {
            throw new CliException("option --svg or --png is required");
        }

        OutputFiles.Check(a, "svg", "png", "gap-plot");

        if (!File.Exists(json))
        {
            throw new FileNotFoundException($"Result file '{json}' does not exist.", json);
        }

        string text = File.ReadAllText(json);
        IReadOnlyList<Simulation.Replay.ReplayResult> results;
        try
        {
            results = ResultWriter.FromJson(text);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Result file '{json}' is not kvtier JSON: {ex.Message}", ex);
        }

        if (results.Count == 0)
        {
            throw new InvalidDataException($"Result file '{json}' holds no results.");
        }

        string title = a.Get("title") ?? results[0].Trace;
        Figures.WriteMain(results, title, ResultWriter.RunDetailsFromJson(text)?.BlockTokens, svg, png);
        Figures.WriteGap(results, title, a.Get("gap-plot"));
        stdout.WriteLine($"wrote {string.Join(", ", new[] { svg, png, a.Get("gap-plot") }.OfType<string>())} ({results.Count} points)");
        return 0;
    }
}
