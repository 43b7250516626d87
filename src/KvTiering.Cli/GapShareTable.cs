using System.Globalization;
using System.Text;
using KvTiering.Simulation.Replay;

namespace KvTiering.Cli;

/// <summary>
/// The share of the LRU → Belady gap every policy closes at each capacity, as a Markdown table: (policy − LRU) /
/// (Belady − LRU) of the token hit rate, negative below LRU. The yardstick of issue #19 (agent.md: LRU + a share of
/// the gap), computed for every row so the peers are judged the same way.
/// </summary>
internal static class GapShareTable
{
    /// <summary>Appends the table for <paramref name="results"/> (one trace); nothing when LRU or Belady is missing.</summary>
    public static void Append(StringBuilder md, IReadOnlyList<ReplayResult> results)
    {
        var ci = CultureInfo.InvariantCulture;
        ReplayResult[] lru = [.. results.Where(r => r.Policy == "lru").OrderBy(r => r.CapacityBlocks)];
        double[] gaps = new double[lru.Length];
        for (int i = 0; i < lru.Length; i++)
        {
            ReplayResult? belady = results.FirstOrDefault(r => r.Policy == "belady" && r.CapacityBlocks == lru[i].CapacityBlocks);
            gaps[i] = belady is null ? double.NaN : belady.TokenHitRate - lru[i].TokenHitRate;
        }

        if (lru.Length == 0 || gaps.All(double.IsNaN))
        {
            return;
        }

        md.AppendLine();
        md.AppendLine("Share of the LRU → Belady gap each policy closes ((policy − LRU) / (Belady − LRU), token hit rate; negative: below LRU):");
        md.AppendLine();
        md.Append("| policy |");
        foreach (ReplayResult l in lru)
        {
            md.Append(ci, $" {l.CapacityFraction * 100:0.#}% |");
        }

        md.AppendLine();
        md.Append("|---|");
        md.AppendLine(string.Concat(Enumerable.Repeat("---:|", lru.Length)));
        foreach (IGrouping<string, ReplayResult> row in results.GroupBy(r => r.Policy))
        {
            if (row.Key is "lru" or "belady")
            {
                continue;
            }

            md.Append(ci, $"| {row.Key} |");
            for (int i = 0; i < lru.Length; i++)
            {
                ReplayResult? r = row.FirstOrDefault(x => x.CapacityBlocks == lru[i].CapacityBlocks);
                md.Append(r is null || double.IsNaN(gaps[i]) ? " |"
                    : gaps[i] <= 1e-9 ? " no gap |"
                    : string.Create(ci, $" {(r.TokenHitRate - lru[i].TokenHitRate) / gaps[i] * 100:+0;−0;0}% |"));
            }

            md.AppendLine();
        }
    }
}
