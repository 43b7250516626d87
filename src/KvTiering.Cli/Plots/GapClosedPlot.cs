using System.Globalization;
using KvTiering.Simulation.Replay;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace KvTiering.Cli.Plots;

/// <summary>
/// The share of the LRU → Belady gap each online policy closes: (policy − LRU) ÷ (Belady − LRU) in token hit rate, one
/// group of bars per policy, one bar per capacity. 100% reaches Belady; below 0 is worse than LRU.
/// </summary>
internal static class GapClosedPlot
{
    /// <summary>Whether <paramref name="results"/> hold what the chart needs: lru, belady and another policy at a shared capacity.</summary>
    public static bool CanDraw(IReadOnlyList<ReplayResult> results) => Gaps(results).Count > 0;

    /// <summary>Builds the chart; throws naming what is missing when the results hold no lru and belady pair.</summary>
    public static Plot Create(IReadOnlyList<ReplayResult> results, string title)
    {
        ArgumentNullException.ThrowIfNull(results);
        var gaps = Gaps(results);
        if (gaps.Count == 0)
        {
            throw new ArgumentException("A gap-closed chart needs lru, belady and at least one other policy replayed at the same capacity.", nameof(results));
        }

        int[] capacities = [.. gaps.Select(g => g.Blocks).Distinct().Order()];
        string[] policies = [.. gaps.Select(g => g.Policy).Distinct()];
        var plot = new Plot();
        PlotFile.ApplyStyle(plot);
        plot.Title(title);
        plot.YLabel("share of the LRU → Belady gap closed (%)");

        double groupWidth = 0.8, barWidth = groupWidth / capacities.Length;
        var ticks = new NumericManual();
        var bars = new List<Bar>();
        for (int p = 0; p < policies.Length; p++)
        {
            ticks.AddMajor(p, policies[p]);
            for (int c = 0; c < capacities.Length; c++)
            {
                if (gaps.FirstOrDefault(g => g.Policy == policies[p] && g.Blocks == capacities[c]) is { Policy: not null } gap)
                {
                    bars.Add(new Bar
                    {
                        Position = p - (groupWidth / 2) + ((c + 0.5) * barWidth),
                        Value = gap.Closed * 100,
                        Size = barWidth * 0.92,
                        FillColor = Shade(c, capacities.Length),
                        LineWidth = 0,
                    });
                }
            }
        }

        for (int c = 0; c < capacities.Length; c++)
        {
            var g = gaps.First(x => x.Blocks == capacities[c]);
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = string.Create(CultureInfo.InvariantCulture, $"{g.Fraction * 100:0.##}% ({capacities[c]:N0} blocks)"),
                FillColor = Shade(c, capacities.Length),
            });
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
        // A collapse (sieve, gdsf: several times the gap below LRU) would squash every other bar: clip the bar at -100%
        // and print its value below it.
        double low = Math.Min(0, bars.Min(b => b.Value)), high = Math.Max(100, bars.Max(b => b.Value));
        if (low < -100)
        {
            low = -135;
            foreach (Bar clipped in bars.Where(b => b.Value < -100))
            {
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{clipped.Value:F0}%"), clipped.Position, -102);
                label.LabelFontSize = 10;
                label.LabelRotation = -90;
                label.LabelAlignment = Alignment.MiddleRight;
                clipped.Value = -100;
            }
        }

        plot.Add.Bars(bars);
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        plot.Add.HorizontalLine(100, 1, PlotPalette.BeladyColor, LinePattern.Dashed);
        plot.Axes.SetLimits(-0.6, policies.Length - 0.4, low - ((high - low) * 0.03), high + ((high - low) * 0.05));
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>One blue per capacity, light (small) to dark (large).</summary>
    private static Color Shade(int index, int count)
    {
        double t = count == 1 ? 1 : (double)index / (count - 1);
        return new Color((byte)(198 - (t * 190)), (byte)(219 - (t * 171)), (byte)(239 - (t * 132)));
    }

    private static List<(string Policy, int Blocks, double Fraction, double Closed)> Gaps(IReadOnlyList<ReplayResult> results)
    {
        var list = new List<(string, int, double, double)>();
        foreach (ReplayResult lru in results.Where(r => r.Policy == "lru"))
        {
            ReplayResult? belady = results.FirstOrDefault(r => PlotPalette.IsBelady(r.Policy) && r.CapacityBlocks == lru.CapacityBlocks);
            double gap = belady is null ? 0 : belady.TokenHitRate - lru.TokenHitRate;
            if (gap <= 1e-9)
            {
                continue; // no gap to close at this capacity
            }

            foreach (ReplayResult r in results.Where(r => r.CapacityBlocks == lru.CapacityBlocks && r.Policy != "lru" && !PlotPalette.IsBelady(r.Policy)))
            {
                list.Add((r.Policy, r.CapacityBlocks, r.CapacityFraction, (r.TokenHitRate - lru.TokenHitRate) / gap));
            }
        }

        return list;
    }
}
