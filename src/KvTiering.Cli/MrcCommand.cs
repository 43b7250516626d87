using System.CommandLine;
using System.Text.Json;
using KvTiering.Simulation.Reports;

namespace KvTiering.Cli;

/// <summary><c>kvtier mrc</c>: draw the curves of a JSON result file as SVG.</summary>
internal static class MrcCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("mrc", "Draw the miss-ratio curves of a result file written by 'kvtier simulate --json' as SVG.")
        {
            Arguments.Value("json", "FILE", "The result file to draw (required)."),
            Arguments.Value("svg", "FILE", "Where to write the SVG (required)."),
            Arguments.Value("title", "TEXT", "The plot's title (default: the trace's name)."),
        };
        command.SetAction(r => Run(new Arguments(r), stdout));
        return command.WithExamples(
            "kvtier mrc --json results.json --svg curves.svg --title \"WEKA, 64-token blocks\"");
    }

    private static int Run(Arguments a, TextWriter stdout)
    {
        string json = a.Require("json");
        string svg = a.Require("svg");
        if (!File.Exists(json))
        {
            throw new FileNotFoundException($"Result file '{json}' does not exist.", json);
        }

        IReadOnlyList<Simulation.Replay.ReplayResult> results;
        try
        {
            results = ResultWriter.FromJson(File.ReadAllText(json));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Result file '{json}' is not kvtier JSON: {ex.Message}", ex);
        }

        if (results.Count == 0)
        {
            throw new InvalidDataException($"Result file '{json}' holds no results.");
        }

        File.WriteAllText(svg, MissRatioCurveSvg.Render(results, a.Get("title") ?? results[0].Trace));
        stdout.WriteLine($"wrote {svg} ({results.Count} points)");
        return 0;
    }
}
