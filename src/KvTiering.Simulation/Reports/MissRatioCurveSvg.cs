using System.Globalization;
using System.Text;
using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Reports;

/// <summary>
/// Draws hit-ratio curves as a standalone SVG: capacity (share of unique blocks, log scale when it spans more than a
/// decade) against token hit rate, one line per policy, Belady dashed.
/// </summary>
public static class MissRatioCurveSvg
{
    private const int Width = 760;
    private const int Height = 460;
    private const int Left = 70;
    private const int Right = 170;
    private const int Top = 40;
    private const int Bottom = 60;

    private static readonly string[] s_palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
            "#393b79", "#637939", "#8c6d31", "#843c39"]; // 16 distinct colours: a report's 13 lines never share one

    /// <summary>Renders the curves of <paramref name="results"/> under <paramref name="title"/>.</summary>
    public static string Render(IReadOnlyList<ReplayResult> results, string title)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            throw new ArgumentException("There are no results to draw.", nameof(results));
        }

        double minX = results.Min(r => r.CapacityFraction);
        double maxX = results.Max(r => r.CapacityFraction);
        bool log = minX > 0 && maxX / minX > 10;
        double Map(double v) => log ? Math.Log10(v) : v;
        double x0 = Map(minX), x1 = Map(maxX);
        if (x1 - x0 < 1e-12)
        {
            x1 = x0 + 1;
        }

        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double fraction) => Left + ((Map(fraction) - x0) / (x1 - x0) * plotW);
        double Py(double rate) => Top + ((1 - rate) * plotH);

        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.AppendLine(ci, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        sb.AppendLine(ci, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        for (int i = 0; i <= 10; i += 2)
        {
            double rate = i / 10.0;
            sb.AppendLine(ci, $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Py(rate):F1}\" y2=\"{Py(rate):F1}\" stroke=\"#e0e0e0\"/>");
            sb.AppendLine(ci, $"<text x=\"{Left - 8}\" y=\"{Py(rate) + 4:F1}\" text-anchor=\"end\">{rate:F1}</text>");
        }

        foreach (double fraction in results.Select(r => r.CapacityFraction).Distinct().Order())
        {
            sb.AppendLine(ci, $"<text x=\"{Px(fraction):F1}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{fraction * 100:0.##}%</text>");
        }

        sb.AppendLine(ci, $"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotH}\" stroke=\"black\"/>");
        sb.AppendLine(ci, $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Top + plotH}\" y2=\"{Top + plotH}\" stroke=\"black\"/>");
        sb.AppendLine(ci, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 15}\" text-anchor=\"middle\">capacity (share of unique blocks{(log ? ", log scale" : "")})</text>");
        sb.AppendLine(ci, $"<text transform=\"translate(18 {Top + (plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">token hit rate</text>");

        int index = 0;
        foreach (IGrouping<string, ReplayResult> line in results.GroupBy(r => r.Policy))
        {
            string color = s_palette[index % s_palette.Length];
            bool dashed = line.Key.StartsWith("belady", StringComparison.OrdinalIgnoreCase); // the bound, whatever its suffix
            string points = string.Join(' ', line.OrderBy(r => r.CapacityFraction)
                .Select(r => string.Create(ci, $"{Px(r.CapacityFraction):F1},{Py(r.TokenHitRate):F1}")));
            sb.AppendLine(ci, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"6 4\"" : "")} points=\"{points}\"/>");
            foreach (ReplayResult r in line)
            {
                sb.AppendLine(ci, $"<circle cx=\"{Px(r.CapacityFraction):F1}\" cy=\"{Py(r.TokenHitRate):F1}\" r=\"3\" fill=\"{color}\"/>");
            }

            int ly = Top + 10 + (index * 18);
            sb.AppendLine(ci, $"<line x1=\"{Width - Right + 15}\" x2=\"{Width - Right + 40}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
            sb.AppendLine(ci, $"<text x=\"{Width - Right + 46}\" y=\"{ly + 4}\">{Escape(line.Key)}</text>");
            index++;
        }

        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
