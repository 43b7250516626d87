using System.Buffers.Binary;
using System.Xml.Linq;
using KvTiering.Cli.Plots;
using KvTiering.Simulation.Replay;
using ScottPlot;
using ScottPlot.Plottables;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class PlotTests : IDisposable
{
    // The thirteen rows of the published WEKA figure, agent+hints among them (it once shared LRU's colour).
    private static readonly string[] s_policies =
        ["lru", "fifo", "clock", "sieve", "arc", "s3fifo", "wtinylfu", "slru", "gdsf", "leaf-lru", "agent", "belady", "agent+hints"];

    private static readonly (double Fraction, int Blocks)[] s_capacities = [(0.01, 22_094), (0.0109, 24_000), (0.025, 55_235), (0.05, 110_470), (0.10, 220_940)];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Curves_have_one_series_per_policy_each_with_its_own_colour_and_marker_and_belady_dashed()
    {
        Plot plot = HitRateCurvePlot.Create(Results(), "weka", blockTokens: 64);

        Scatter[] series = [.. plot.GetPlottables().OfType<Scatter>()];
        Assert.Equal(s_policies.Length, series.Length);
        Assert.Equal(s_policies.Length, series.Select(s => (s.Color, s.MarkerShape)).Distinct().Count());
        Assert.Equal(s_policies.Length, series.Select(s => s.Color).Distinct().Count()); // 13 lines, 13 colours
        Scatter lru = series.Single(s => s.LegendText == "lru");
        Scatter hinted = series.Single(s => s.LegendText == "agent+hints");
        Assert.NotEqual(lru.Color, hinted.Color);
        Scatter belady = series.Single(s => s.LegendText.StartsWith("belady", StringComparison.Ordinal));
        Assert.Equal(LinePattern.Dashed, belady.LinePattern);
        Assert.All(series.Where(s => s != belady), s => Assert.Equal(LinePattern.Solid, s.LinePattern));
        Assert.All(series, s => Assert.Equal(s_capacities.Length, s.Data.GetScatterPoints().Count));
    }

    [Fact]
    public void Every_built_in_policy_and_its_hinted_row_get_distinct_colours()
    {
        // kvtier report's lines: every built-in policy but belady (black), and each one that reads hints once more.
        var all = KvTiering.Eviction.EvictionPolicies.Names.Select(KvTiering.Eviction.EvictionPolicies.FromName).ToList();
        int lines = all.Count(p => !PlotPalette.IsBelady(p.Name)) + all.Count(KvTiering.Eviction.EvictionPolicies.ReadsSessionHints);
        Assert.True(PlotPalette.DistinctColors >= lines, $"{lines} lines, {PlotPalette.DistinctColors} colours");
        Assert.Equal(PlotPalette.DistinctColors, Enumerable.Range(0, PlotPalette.DistinctColors).Select(PlotPalette.ColorAt).Append(PlotPalette.BeladyColor).Distinct().Count() - 1);
    }

    [Fact]
    public void Capacity_ticks_sit_at_each_capacity_and_a_crowded_label_keeps_its_tick_but_not_its_text()
    {
        var all = CapacityTicks.Layout(s_capacities, Math.Log10(0.009), Math.Log10(0.11));
        Assert.Equal(s_capacities.Select(c => Math.Log10(c.Fraction)), all.Select(t => t.X));
        string[] labels = [.. all.Select(t => t.Label ?? "(tick only)")];
        Assert.Equal(["1%\n22,094", "(tick only)", "2.5%\n55,235", "5%\n110,470", "10%\n220,940"], labels); // 1.09% would touch 1%
    }

    [Fact]
    public void Svg_is_valid_names_every_policy_and_dashes_belady_alone()
    {
        string path = _dir.File("curves.svg");
        PlotFile.Save(HitRateCurvePlot.Create(Results(), "weka", 64), path);

        XDocument svg = XDocument.Load(path);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        string[] texts = [.. svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())];
        foreach (string policy in s_policies.Where(p => p != "belady"))
        {
            Assert.Contains(policy, texts);
        }

        Assert.Contains("belady (offline optimum)", texts);
        Assert.Contains("64-token blocks", string.Join(' ', texts), StringComparison.Ordinal);
        XElement[] dashed = [.. svg.Descendants().Where(e => e.Attribute("stroke-dasharray") is not null)];
        Assert.Equal(2, dashed.Length); // Belady's line and its legend sample
        Assert.All(dashed, e => Assert.Equal("#010203", e.Attribute("stroke")!.Value, ignoreCase: true));
        string[] lineColors = [.. svg.Descendants().Where(e => e.Attribute("stroke-width")?.Value == "2").Select(e => e.Attribute("stroke")!.Value.ToUpperInvariant()).Distinct()];
        Assert.Equal(s_policies.Length, lineColors.Length);
    }

    [Fact]
    public void Png_is_a_png_of_the_documented_size()
    {
        string path = _dir.File("curves.png");
        PlotFile.Save(HitRateCurvePlot.Create(Results(), "weka", 64), path);

        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(PlotFile.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(PlotFile.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void Gap_chart_has_a_bar_per_online_policy_and_capacity_with_the_share_closed()
    {
        Plot plot = GapClosedPlot.Create(Results(), "weka");

        Bar[] bars = [.. plot.GetPlottables().OfType<BarPlot>().SelectMany(b => b.Bars)];
        int online = s_policies.Length - 2; // lru and belady are the gap's ends
        Assert.Equal(online * s_capacities.Length, bars.Length);
        // Results() puts policy i at lru + i/12 of the gap: fifo (i = 1) closes 1/12 of it.
        Assert.Contains(bars, b => Math.Abs(b.Value - (100.0 / 12)) < 1e-9);
        Assert.False(GapClosedPlot.CanDraw([.. Results().Where(r => r.Policy != "belady")]));
    }

    [Fact]
    public void Tier_split_stacks_each_tiers_served_share()
    {
        ReplayResult run = Result("agent", 100, 0.5) with
        {
            InputTokens = 1000,
            Tiers =
            [
                Tier("hbm3", 10, servedTokens: 300),
                Tier("dram", 90, servedTokens: 200),
            ],
        };

        Plot plot = TierSplitPlot.Create([run, run with { Policy = "lru" }], "tiers");

        Bar[] bars = [.. plot.GetPlottables().OfType<BarPlot>().SelectMany(b => b.Bars)];
        Assert.Equal(4, bars.Length);
        Assert.Contains(bars, b => b.ValueBase == 0 && Math.Abs(b.Value - 0.3) < 1e-12);
        Assert.Contains(bars, b => Math.Abs(b.ValueBase - 0.3) < 1e-12 && Math.Abs(b.Value - 0.5) < 1e-12);
        Assert.Equal(["hbm3", "dram"], plot.Legend.ManualItems.Select(i => i.LabelText));
        Assert.Throws<ArgumentException>(() => TierSplitPlot.Create([Result("lru", 1, 0.1)], "single tier"));
    }

    private static List<ReplayResult> Results()
    {
        var list = new List<ReplayResult>();
        foreach ((double fraction, int blocks) in s_capacities)
        {
            double lru = 0.2 + fraction, belady = lru + 0.24;
            for (int i = 0; i < s_policies.Length; i++)
            {
                string policy = s_policies[i];
                double rate = policy switch { "lru" => lru, "belady" => belady, _ => lru + ((belady - lru) * i / 12) };
                list.Add(Result(policy, blocks, rate) with { CapacityFraction = fraction });
            }
        }

        return list;
    }

    private static ReplayResult Result(string policy, int blocks, double hitRate) =>
        ReplayResults.Of(policy, blocks, hitRate, uniqueBlocks: 2_209_400.0);

    private static TierReplayResult Tier(string name, int capacity, long servedTokens) => new()
    {
        Name = name,
        CapacityBlocks = capacity,
        PrefixHitBlocks = 0,
        BytesRead = 0,
        BytesWritten = 0,
        Promotions = 0,
        Demotions = 0,
        Evictions = 0,
        ServedTokens = servedTokens,
        ModeledSeconds = 0,
        ModeledJoules = 0,
    };
}
