using KvTiering.Simulation.Replay;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace KvTiering.Cli.Plots;

/// <summary>
/// Where a multi-tier run's hits came from: one stacked bar per run, each tier's share of the input tokens it served
/// (fastest tier at the bottom), so the stack's height is the run's token hit rate less what was recomputed.
/// </summary>
internal static class TierSplitPlot
{
    // Tiers fastest to slowest: warm to cool, so the eye reads the fast tiers as "hot".
    private static readonly Color[] s_tierColors =
        [Color.FromHex("#d62728"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#1f77b4"), Color.FromHex("#9467bd"), Color.FromHex("#7f7f7f")];

    /// <summary>Builds the chart for runs with more than one tier.</summary>
    public static Plot Create(IReadOnlyList<ReplayResult> results, string title)
    {
        ArgumentNullException.ThrowIfNull(results);
        ReplayResult[] runs = [.. results.Where(r => r.Tiers.Count > 1)];
        if (runs.Length == 0)
        {
            throw new ArgumentException("A per-tier split chart needs a multi-tier run (--tiers with two or more tiers).", nameof(results));
        }

        var plot = new Plot();
        PlotFile.ApplyStyle(plot);
        plot.Title(title);
        plot.YLabel("share of input tokens served, by tier");
        var ticks = new NumericManual();
        var bars = new List<Bar>();
        var tierNames = new List<string>();
        for (int i = 0; i < runs.Length; i++)
        {
            ReplayResult run = runs[i];
            bool severalCapacities = runs.Any(r => r.Policy == run.Policy && r.CapacityBlocks != run.CapacityBlocks);
            ticks.AddMajor(i, severalCapacities ? $"{run.Policy}\n{run.CapacityBlocks:N0}" : run.Policy);
            double bottom = 0;
            for (int t = 0; t < run.Tiers.Count; t++)
            {
                TierReplayResult tier = run.Tiers[t];
                if (!tierNames.Contains(tier.Name))
                {
                    tierNames.Add(tier.Name);
                }

                double share = run.InputTokens == 0 ? 0 : (double)tier.ServedTokens / run.InputTokens;
                bars.Add(new Bar
                {
                    Position = i,
                    ValueBase = bottom,
                    Value = bottom + share,
                    Size = 0.7,
                    FillColor = s_tierColors[tierNames.IndexOf(tier.Name) % s_tierColors.Length],
                    LineWidth = 0,
                });
                bottom += share;
            }
        }

        plot.Add.Bars(bars);
        foreach (string name in tierNames)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = name,
                FillColor = s_tierColors[tierNames.IndexOf(name) % s_tierColors.Length],
            });
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.SetLimits(-0.6, runs.Length - 0.4, 0, Math.Min(1, Math.Ceiling((bars.Max(b => b.Value) + 0.05) * 10) / 10));
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
