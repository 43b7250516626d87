using ScottPlot;

namespace KvTiering.Cli.Plots;

/// <summary>
/// One look per policy across every figure: a colour and a marker, so that lines stay apart in colour and in a
/// black-and-white print. Belady, the offline bound, is always black and dashed.
/// </summary>
internal static class PlotPalette
{
    // Tableau's 10 (matplotlib's default cycle) and fourteen darker or stronger tones: 24 colours, none repeated, black
    // kept for Belady, so even kvtier report's 21 lines (every built-in policy, and the three that read hints again with
    // them) never share a colour.
    private static readonly Color[] s_colors =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
        Color.FromHex("#bcbd22"), Color.FromHex("#17becf"), Color.FromHex("#393b79"), Color.FromHex("#637939"),
        Color.FromHex("#8c6d31"), Color.FromHex("#843c39"), Color.FromHex("#7b4173"), Color.FromHex("#3182bd"),
        Color.FromHex("#e6550d"), Color.FromHex("#31a354"), Color.FromHex("#756bb1"), Color.FromHex("#636363"),
        Color.FromHex("#a55194"), Color.FromHex("#6b6ecf"), Color.FromHex("#b5cf6b"), Color.FromHex("#e7ba52"),
    ];

    // 11 shapes against 24 colours: (colour, marker) pairs repeat only after 264 policies.
    private static readonly MarkerShape[] s_markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.FilledTriangleDown, MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp,
        MarkerShape.OpenDiamond, MarkerShape.Cross, MarkerShape.Eks,
    ];

    /// <summary>
    /// Belady's stroke colour: black to the eye, and a value no other element of a figure uses, so the SVG post-pass in
    /// <see cref="PlotFile"/> can find Belady's paths and dash them (Skia's SVG canvas drops dash effects).
    /// </summary>
    public static readonly Color BeladyColor = Color.FromHex("#010203");

    /// <summary>Whether <paramref name="policy"/> is the offline bound, whatever its suffix.</summary>
    public static bool IsBelady(string policy) => policy.StartsWith("belady", StringComparison.OrdinalIgnoreCase);

    /// <summary>The colour of the <paramref name="index"/>-th online policy of a figure.</summary>
    public static Color ColorAt(int index) => s_colors[index % s_colors.Length];

    /// <summary>How many online policies a figure can draw before a colour repeats.</summary>
    public static int DistinctColors => s_colors.Length;

    /// <summary>The marker of the <paramref name="index"/>-th online policy of a figure.</summary>
    public static MarkerShape MarkerAt(int index) => s_markers[index % s_markers.Length];

    /// <summary>Policies in the order of first appearance, each with its style index (Belady gets none: -1).</summary>
    public static IReadOnlyList<(string Policy, int Style)> Assign(IEnumerable<string> policies)
    {
        var list = new List<(string, int)>();
        int next = 0;
        foreach (string policy in policies.Distinct(StringComparer.Ordinal))
        {
            list.Add((policy, IsBelady(policy) ? -1 : next++));
        }

        return list;
    }
}
