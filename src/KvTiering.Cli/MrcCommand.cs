using System.Text.Json;
using KvTiering.Simulation.Reports;

namespace KvTiering.Cli;

/// <summary><c>kvtier mrc</c>: draw the curves of a JSON result file as SVG.</summary>
internal static class MrcCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var a = new Arguments(args, new HashSet<string> { "json", "svg", "title" }, new HashSet<string>());
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
