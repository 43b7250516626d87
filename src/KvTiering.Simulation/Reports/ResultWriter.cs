using System.Globalization;
using System.Text;
using System.Text.Json;
using KvTiering.Simulation.Replay;

namespace KvTiering.Simulation.Reports;

/// <summary>Writes replay results as JSON, CSV and a fixed-width summary table.</summary>
public static class ResultWriter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The results as a JSON array, one object per (policy, capacity).</summary>
    public static string ToJson(IReadOnlyList<ReplayResult> results) => JsonSerializer.Serialize(results, s_json);

    /// <summary>
    /// The results with how they were made: <c>{"run": {...}, "results": [...]}</c>. <see cref="FromJson"/> reads both
    /// shapes.
    /// </summary>
    public static string ToJson(IReadOnlyList<ReplayResult> results, RunDetails run) =>
        JsonSerializer.Serialize(new ResultFile { Run = run, Results = results }, s_json);

    /// <summary>Reads results written by either <c>ToJson</c> overload.</summary>
    public static IReadOnlyList<ReplayResult> FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.AsSpan().TrimStart().StartsWith("{")
            ? JsonSerializer.Deserialize<ResultFile>(json, s_json)?.Results ?? []
            : JsonSerializer.Deserialize<List<ReplayResult>>(json, s_json) ?? [];
    }

    /// <summary>Reads the run details of a file written by <see cref="ToJson(IReadOnlyList{ReplayResult}, RunDetails)"/> (null for a bare array).</summary>
    public static RunDetails? RunDetailsFromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.AsSpan().TrimStart().StartsWith("{") ? JsonSerializer.Deserialize<ResultFile>(json, s_json)?.Run : null;
    }

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

    /// <summary>
    /// A fixed-width table that explains itself: one row per policy, one column per capacity headed as a share of the
    /// trace's unique blocks and a block count ("1% (22,094 blocks)"), and a footer defining the numbers.
    /// </summary>
    public static string ToTable(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var ci = CultureInfo.InvariantCulture;
        ReplayResult[] columns = [.. results.DistinctBy(r => r.CapacityBlocks).OrderBy(r => r.CapacityBlocks)];
        string[] policies = [.. results.Select(r => r.Policy).Distinct()];
        string[] headers = [.. columns.Select(c => CapacityLabel(c.CapacityFraction, c.CapacityBlocks))];
        int width = Math.Max(12, headers.Select(h => h.Length).DefaultIfEmpty(0).Max() + 2);
        int nameWidth = Math.Max(16, policies.Select(p => p.Length).DefaultIfEmpty(0).Max() + 2);
        var sb = new StringBuilder();
        sb.Append("policy".PadRight(nameWidth));
        foreach (string h in headers)
        {
            sb.Append(h.PadLeft(width));
        }

        sb.AppendLine();
        foreach (string policy in policies)
        {
            sb.Append(policy.PadRight(nameWidth));
            foreach (ReplayResult c in columns)
            {
                ReplayResult? r = results.FirstOrDefault(x => x.Policy == policy && x.CapacityBlocks == c.CapacityBlocks);
                sb.Append((r is null ? "-" : r.TokenHitRate.ToString("F4", ci)).PadLeft(width));
            }

            sb.AppendLine();
        }

        int runs = results.Count;
        sb.AppendLine(ci, $"Token hit rate: the share of input tokens served from cache (a request's leading blocks resident at arrival).");
        sb.AppendLine(ci, $"Capacity: cache size as a share of the trace's unique blocks (and in blocks). {runs:N0} {(runs == 1 ? "run" : "runs")}.");
        if (policies.Any(p => p.StartsWith("belady", StringComparison.Ordinal)))
        {
            sb.AppendLine("belady: Belady's offline optimum (knows every future access) — an upper bound, not a deployable policy.");
        }

        if (policies.Any(p => p.EndsWith("+hints", StringComparison.Ordinal) || p.Contains("+hints+", StringComparison.Ordinal)))
        {
            sb.AppendLine("+hints: the policy was told how each response ended (tool call or end of turn); --no-hints replays without.");
        }

        if (policies.Any(p => p.Contains("+close", StringComparison.Ordinal)))
        {
            sb.AppendLine("+closeDs: the policy was told each session's end D s after its last response in the trace (--close-hints; @P: only that share of sessions).");
        }

        return sb.ToString();
    }

    /// <summary>"1% (22,094 blocks)": a capacity as a share of unique blocks and a block count.</summary>
    public static string CapacityLabel(double fraction, int blocks) =>
        string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0.##}% ({blocks:N0} {(blocks == 1 ? "block" : "blocks")})");

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

    /// <summary>
    /// Per-tier split of multi-tier replays: prefix hits, tokens served (and recomputed), bytes moved, modeled seconds
    /// and joules, and the victims the tier's policy knew dead and dropped instead of demoting.
    /// </summary>
    public static string ToTierTable(IReadOnlyList<ReplayResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        int width = Math.Max(16, results.Count == 0 ? 0 : results.Max(r => r.Policy.Length) + 2); // "agent+hints+close0s" and longer labels
        sb.AppendLine(ci, $"{"policy".PadRight(width)}{"tier",-10}{"capacity",12}{"prefix hits",14}{"tokens served",15}{"recomputed",12}{"GB read",12}{"GB written",12}{"modeled s",12}{"modeled J",12}{"dead drops",12}");
        foreach (ReplayResult r in results)
        {
            foreach (TierReplayResult t in r.Tiers)
            {
                sb.AppendLine(ci, $"{r.Policy.PadRight(width)}{t.Name,-10}{t.CapacityBlocks,12}{t.PrefixHitBlocks,14}{t.ServedTokens,15}{t.RecomputedTokens,12}{t.BytesRead / 1e9,12:F2}{t.BytesWritten / 1e9,12:F2}{t.ModeledSeconds,12:F3}{t.ModeledJoules,12:F1}{t.DeadDrops,12}");
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
