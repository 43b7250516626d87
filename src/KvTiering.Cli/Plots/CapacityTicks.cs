using System.Globalization;
using ScottPlot.TickGenerators;

namespace KvTiering.Cli.Plots;

/// <summary>
/// Tick marks on a log-scale capacity axis at exactly the capacities replayed, labelled with the share of unique blocks
/// and the block count ("1%" over "22,094"). A label that would crowd its labelled neighbour keeps its tick mark and
/// drops its text, so labels never overlap (the old SVG printed "1%1.09%").
/// </summary>
internal static class CapacityTicks
{
    /// <summary>The smallest gap between two labels, as a share of the axis's span.</summary>
    internal const double MinLabelGap = 0.09;

    /// <summary>Builds the ticks for <paramref name="capacities"/> (fraction, blocks) on an axis from log10 <paramref name="x0"/> to <paramref name="x1"/>.</summary>
    public static NumericManual Create(IReadOnlyList<(double Fraction, int Blocks)> capacities, double x0, double x1)
    {
        var ticks = new NumericManual();
        foreach ((double x, string? label) in Layout(capacities, x0, x1))
        {
            if (label is null)
            {
                ticks.AddMinor(x);
            }
            else
            {
                ticks.AddMajor(x, label);
            }
        }

        return ticks;
    }

    /// <summary>Each capacity's position (log10 of its fraction), with its label or null where the label would crowd the previous one.</summary>
    internal static List<(double X, string? Label)> Layout(IReadOnlyList<(double Fraction, int Blocks)> capacities, double x0, double x1)
    {
        var ticks = new List<(double, string?)>();
        double last = double.NegativeInfinity;
        foreach ((double fraction, int blocks) in capacities.OrderBy(c => c.Fraction))
        {
            double x = Math.Log10(fraction);
            bool labelled = (x - last) / (x1 - x0) >= MinLabelGap;
            ticks.Add((x, labelled ? Label(fraction, blocks) : null));
            last = labelled ? x : last;
        }

        return ticks;
    }

    /// <summary>"2.5%" over "55,235" (the share rounded to what tells capacities apart).</summary>
    public static string Label(double fraction, int blocks) =>
        string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0.##}%\n{blocks:N0}");
}
