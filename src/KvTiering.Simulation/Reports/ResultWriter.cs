using System.Globalization;
using System.Text;
using System.Text.Json;
using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Reports;

/// <summary>Writes replay results as JSON, CSV and a fixed-width summary table.</summary>
public static class ResultWriter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>The results as a JSON array, one object per (policy, capacity).</summary>
    public static string ToJson(IReadOnlyList<ReplayResult> results) => JsonSerializer.Serialize(results, s_json);

    /// <summary>Reads results written by <see cref="ToJson"/>.</summary>
    public static IReadOnlyList<ReplayResult> FromJson(string json) =>
        JsonSerializer.Deserialize<List<ReplayResult>>(json, s_json) ?? [];

    /// <summary>The results as CSV with a header row.</summary>
    public static string ToCsv(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        sb.AppendLine("trace,policy,capacity_blocks,capacity_fraction,token_hit_rate,block_hit_rate,requests,references,elapsed_seconds,references_per_second,prefill_seconds_saved");
        foreach (ReplayResult r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Trace},{r.Policy},{r.CapacityBlocks},{r.CapacityFraction:G6},{r.TokenHitRate:F6},{r.BlockHitRate:F6},{r.Requests},{r.References},{r.ElapsedSeconds:F3},{r.ReferencesPerSecond:F0},{r.PrefillSecondsSaved:F3}"));
        }

        return sb.ToString();
    }

    /// <summary>A fixed-width table: one row per policy, one column per capacity (token hit rate).</summary>
    public static string ToTable(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        int[] capacities = [.. results.Select(r => r.CapacityBlocks).Distinct().Order()];
        string[] policies = [.. results.Select(r => r.Policy).Distinct()];
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{"policy",-16}");
        foreach (int c in capacities)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{c,14}");
        }

        sb.AppendLine("   (token hit rate by capacity in blocks)");
        foreach (string policy in policies)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{policy,-16}");
            foreach (int c in capacities)
            {
                ReplayResult? r = results.FirstOrDefault(x => x.Policy == policy && x.CapacityBlocks == c);
                sb.Append(r is null ? $"{"-",14}" : string.Create(CultureInfo.InvariantCulture, $"{r.TokenHitRate,14:F4}"));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>
    /// Policies ranked by prefill compute saved (modeled replays only; empty otherwise), per capacity: rank, policy,
    /// seconds saved and token hit rate, so a policy that keeps deep blocks can be seen to save more than its hit rate says.
    /// </summary>
    public static string ToPrefillRanking(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        foreach (int c in results.Where(r => r.PrefillSecondsSaved is not null).Select(r => r.CapacityBlocks).Distinct().Order())
        {
            sb.AppendLine(ci, $"capacity {c} blocks: policies by prefill seconds saved");
            int rank = 1;
            foreach (ReplayResult r in results.Where(r => r.CapacityBlocks == c && r.PrefillSecondsSaved is not null)
                         .OrderByDescending(r => r.PrefillSecondsSaved))
            {
                sb.AppendLine(ci, $"{rank++,4}  {r.Policy,-22}{r.PrefillSecondsSaved,14:F3} s{r.TokenHitRate,10:F4}");
            }
        }

        return sb.ToString();
    }

    /// <summary>Per-tier split of multi-tier replays: prefix hits, tokens served (and recomputed), bytes moved, modeled seconds and joules.</summary>
    public static string ToTierTable(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"{"policy",-16}{"tier",-10}{"capacity",12}{"prefix hits",14}{"tokens served",15}{"recomputed",12}{"GB read",12}{"GB written",12}{"modeled s",12}{"modeled J",12}");
        foreach (ReplayResult r in results)
        {
            foreach (TierReplayResult t in r.Tiers)
            {
                sb.AppendLine(ci, $"{r.Policy,-16}{t.Name,-10}{t.CapacityBlocks,12}{t.PrefixHitBlocks,14}{t.ServedTokens,15}{t.RecomputedTokens,12}{t.BytesRead / 1e9,12:F2}{t.BytesWritten / 1e9,12:F2}{t.ModeledSeconds,12:F3}{t.ModeledJoules,12:F1}");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Per label class of labelled replays: requests, token hit rate and modeled time-to-first-token (total and mean
    /// per request, when a model priced it).
    /// </summary>
    public static string ToLabelTable(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"{"policy",-16}{"labels",-36}{"requests",10}{"token hit",11}{"TTFT s",12}{"mean TTFT ms",14}");
        foreach (ReplayResult r in results)
        {
            foreach (LabelClassResult c in r.LabelClasses ?? [])
            {
                string total = c.ModeledTtftSeconds is { } s ? s.ToString("F3", ci) : "-";
                string mean = c.MeanModeledTtftSeconds is { } m ? (m * 1e3).ToString("F2", ci) : "-";
                sb.AppendLine(ci, $"{r.Policy,-16}{c.Labels,-36}{c.Requests,10}{c.TokenHitRate,11:F4}{total,12}{mean,14}");
            }
        }

        return sb.ToString();
    }
}
