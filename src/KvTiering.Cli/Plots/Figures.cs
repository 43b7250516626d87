using KvTiering.Simulation.Replay;

namespace KvTiering.Cli.Plots;

/// <summary>The figures a command's <c>--svg</c>, <c>--png</c> and <c>--gap-plot</c> ask for.</summary>
internal static class Figures
{
    /// <summary>
    /// Writes the main figure to each of <paramref name="paths"/> (SVG or PNG by extension): hit-rate curves, or for a
    /// multi-tier run (one capacity per tier, so no curve) the per-tier split.
    /// </summary>
    public static void WriteMain(IReadOnlyList<ReplayResult> results, string title, int? blockTokens, params string?[] paths)
    {
        string[] targets = [.. paths.OfType<string>()];
        if (targets.Length == 0)
        {
            return;
        }

        ScottPlot.Plot plot = results.Any(r => r.Tiers.Count > 1)
            ? TierSplitPlot.Create(results, title + ": tokens served per tier")
            : HitRateCurvePlot.Create(results, title, blockTokens);
        foreach (string path in targets)
        {
            PlotFile.Save(plot, path);
        }
    }

    /// <summary>Writes the LRU → Belady gap-closed chart, or fails naming what the run lacks.</summary>
    public static void WriteGap(IReadOnlyList<ReplayResult> results, string title, string? path)
    {
        if (path is null)
        {
            return;
        }

        if (!GapClosedPlot.CanDraw(results))
        {
            throw new CliException("--gap-plot needs lru, belady and another policy at the same capacity (e.g. --policy lru,agent,belady)");
        }

        PlotFile.Save(GapClosedPlot.Create(results, title + ": share of the LRU → Belady gap closed"), path);
    }
}
