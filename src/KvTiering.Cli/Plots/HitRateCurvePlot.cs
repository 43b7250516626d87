using KvTiering.Simulation.Replay;
using ScottPlot;

namespace KvTiering.Cli.Plots;

/// <summary>
/// Hit-rate curves: token hit rate against capacity (log scale, ticks at the capacities replayed with % and blocks),
/// one line per policy in its own colour and marker, Belady black and dashed.
/// </summary>
internal static class HitRateCurvePlot
{
    /// <summary>Builds the figure for <paramref name="results"/>; <paramref name="blockTokens"/> names the block size on the axis when known.</summary>
    public static Plot Create(IReadOnlyList<ReplayResult> results, string title, int? blockTokens)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            throw new ArgumentException("There are no results to draw.", nameof(results));
        }

        if (results.Any(r => r.CapacityFraction <= 0 || !double.IsFinite(r.CapacityFraction)))
        {
            throw new ArgumentException("Every result needs a positive capacity fraction to sit on a log axis.", nameof(results));
        }

        var capacities = results.Select(r => (Fraction: r.CapacityFraction, Blocks: r.CapacityBlocks))
            .DistinctBy(c => c.Blocks).ToList();
        double x0 = Math.Log10(capacities.Min(c => c.Fraction));
        double x1 = Math.Log10(capacities.Max(c => c.Fraction));
        double pad = Math.Max(0.05, (x1 - x0) * 0.04); // markers at the ends stay inside the frame
        x0 -= pad;
        x1 += pad;

        var plot = new Plot();
        PlotFile.ApplyStyle(plot);
        plot.Title(title);
        plot.YLabel("token hit rate");
        plot.XLabel(blockTokens is { } b
            ? $"capacity: share of unique blocks over block count ({b}-token blocks), log scale"
            : "capacity: share of unique blocks over block count, log scale");

        foreach ((string policy, int style) in PlotPalette.Assign(results.Select(r => r.Policy)))
        {
            ReplayResult[] line = [.. results.Where(r => r.Policy == policy).OrderBy(r => r.CapacityFraction)];
            var scatter = plot.Add.Scatter(
                line.Select(r => Math.Log10(r.CapacityFraction)).ToArray(),
                line.Select(r => r.TokenHitRate).ToArray());
            scatter.LegendText = policy;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 8;
            if (style < 0)
            {
                scatter.Color = PlotPalette.BeladyColor;
                scatter.LinePattern = LinePattern.Dashed;
                scatter.MarkerShape = MarkerShape.FilledCircle;
                scatter.LegendText = policy + " (offline optimum)";
            }
            else
            {
                scatter.Color = PlotPalette.ColorAt(style);
                scatter.MarkerShape = PlotPalette.MarkerAt(style);
            }
        }

        double top = Math.Min(1, Math.Ceiling((results.Max(r => r.TokenHitRate) + 0.05) * 10) / 10);
        plot.Axes.SetLimits(x0, x1, 0, top);
        plot.Axes.Bottom.TickGenerator = CapacityTicks.Create(capacities, x0, x1);
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
