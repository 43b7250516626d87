using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;

namespace KvTiering.Cli.Plots;

/// <summary>Writes a figure as SVG or PNG by the file's extension, in one house style.</summary>
internal static partial class PlotFile
{
    public const int Width = 960;
    public const int Height = 540;

    /// <summary>Fonts and sizes every figure shares.</summary>
    public static void ApplyStyle(Plot plot)
    {
        plot.Font.Set("DejaVu Sans"); // installed by .ci/run (fonts-dejavu-core); Skia falls back to its default without it
        plot.Axes.Title.Label.FontSize = 18;
        plot.Legend.FontSize = 13;
        plot.Axes.Bottom.Label.FontSize = 14;
        plot.Axes.Left.Label.FontSize = 14;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
    }

    /// <summary>Saves <paramref name="plot"/> to <paramref name="path"/>: <c>.png</c> as PNG, anything else as SVG.</summary>
    public static void Save(Plot plot, string path)
    {
        ArgumentNullException.ThrowIfNull(plot);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            plot.SavePng(path, Width, Height);
        }
        else
        {
            File.WriteAllText(path, ToSvg(plot));
        }
    }

    /// <summary>
    /// The figure as SVG. Skia's SVG canvas cannot dash (it drops the whole dashed path and prints "Unsupported path
    /// effect" on the console), so dashed lines are drawn solid here and dashed afterwards by <see cref="DashBelady"/>.
    /// </summary>
    internal static string ToSvg(Plot plot)
    {
        var dashed = new List<Action>();
        foreach (IPlottable plottable in plot.GetPlottables())
        {
            switch (plottable)
            {
                case ScottPlot.Plottables.Scatter scatter when !scatter.LinePattern.Equals(LinePattern.Solid):
                    LinePattern pattern = scatter.LinePattern;
                    scatter.LinePattern = LinePattern.Solid;
                    dashed.Add(() => scatter.LinePattern = pattern);
                    break;
                case ScottPlot.Plottables.AxisLine line when !line.LinePattern.Equals(LinePattern.Solid):
                    LinePattern linePattern = line.LinePattern;
                    line.LinePattern = LinePattern.Solid;
                    dashed.Add(() => line.LinePattern = linePattern);
                    break;
            }
        }

        try
        {
            return DashBelady(plot.GetSvgXml(Width, Height));
        }
        finally
        {
            dashed.ForEach(restore => restore());
        }
    }

    /// <summary>
    /// Skia's SVG canvas drops dash effects (it logs "Unsupported path effect"), so a dashed line would come out solid.
    /// Belady alone is drawn in <see cref="PlotPalette.BeladyColor"/>; every stroke of that colour is dashed here.
    /// </summary>
    internal static string DashBelady(string svg)
    {
        Color c = PlotPalette.BeladyColor;
        string hex = string.Create(CultureInfo.InvariantCulture, $"#{c.R:X2}{c.G:X2}{c.B:X2}");
        string rgb = string.Create(CultureInfo.InvariantCulture, $"rgb({c.R},{c.G},{c.B})");
        return StrokeAttribute().Replace(svg, m =>
        {
            string value = m.Groups["v"].Value;
            return value.Equals(hex, StringComparison.OrdinalIgnoreCase) || value.Replace(" ", "", StringComparison.Ordinal) == rgb
                ? m.Value + " stroke-dasharray=\"8 5\""
                : m.Value;
        });
    }

    [GeneratedRegex("stroke=\"(?<v>[^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex StrokeAttribute();
}
