using System.Globalization;

namespace AgentLoad;

/// <summary>Prints per-request lines and the side-by-side summary (a Markdown table, as docs/serving.md shows it).</summary>
internal static class Report
{
    public static void Requests(IEnumerable<RequestResult> results, TextWriter w)
    {
        w.WriteLine("config  session     #  prompt  cached  source  TTFT ms  total ms  out  finish");
        foreach (RequestResult r in results)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Configuration,-6}  {r.Session,-10} {r.Index,2}  {r.PromptTokens,6}  {r.CachedTokens,6}  {r.Source,-6}  {r.TtftMs,7:F0}  {r.TotalMs,8:F0}  {r.CompletionTokens,3}  {r.FinishReason}"));
        }
    }

    public static void Summary(IReadOnlyList<(string Configuration, List<RequestResult> Results, double WallSeconds)> runs, TextWriter w)
    {
        w.WriteLine("| server | requests | TTFT p50 | TTFT p90 | TTFT p99 | mean TTFT | requests/s | prompt tokens/s | cached share | blocks from (requests) |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach ((string configuration, List<RequestResult> results, double wall) in runs)
        {
            double[] ttft = [.. results.Select(r => r.TtftMs).Order()];
            long prompt = results.Sum(r => (long)r.PromptTokens);
            long cached = results.Sum(r => (long)r.CachedTokens);
            string sources = string.Join(", ", results.GroupBy(r => r.Source).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
            string name = configuration switch
            {
                "agent" => "KvTiering, agent policy",
                "lru" => "KvTiering, LRU",
                "none" => "no prefix cache",
                _ => configuration,
            };
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {results.Count} | {Percentile(ttft, 0.50):F0} ms | {Percentile(ttft, 0.90):F0} ms | {Percentile(ttft, 0.99):F0} ms | {ttft.Average():F0} ms | {results.Count / wall:F2} | {prompt / wall:F0} | {(prompt == 0 ? 0 : 100.0 * cached / prompt):F1}% | {sources} |"));
        }
    }

    public static void Csv(IEnumerable<RequestResult> results, string path)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("config,session,index,prompt_tokens,cached_tokens,source,ttft_ms,total_ms,completion_tokens,finish_reason");
        foreach (RequestResult r in results)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Configuration},{r.Session},{r.Index},{r.PromptTokens},{r.CachedTokens},{r.Source},{r.TtftMs:F1},{r.TotalMs:F1},{r.CompletionTokens},{r.FinishReason}"));
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
