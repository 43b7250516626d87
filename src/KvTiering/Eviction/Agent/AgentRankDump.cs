#if KVTIER_RANKDUMP
using System.Globalization;
#endif

namespace KvTiering.Eviction;

/// <summary>
/// The learned ranker's training data (docs/policies/agent-research-log.md, "Session 21, rank22"): compiled only with the symbol
/// KVTIER_RANKDUMP (<c>-p:DefineConstants=KVTIER_RANKDUMP</c>), it writes, at every Nth choice of a victim session by
/// the first tier's expected-return ordering, one CSV row per live resident session: its features
/// (<see cref="AgentLearnedRank.Features"/>), the rules' rank, whether the rules chose it, and its true next use (the
/// harness's oracle), then (session 23) the present and the true wait in seconds until the next request (a replay's
/// <see cref="AgentOracleClock"/>; NaN elsewhere). KVTIER_RANKDUMP=path and KVTIER_RANKDUMP_EVERY=N (default 50) name the file and N.
/// </summary>
internal static class AgentRankDump
{
#if KVTIER_RANKDUMP
    /// <summary>Whether this build writes the dump (the session table then tracks each session's next use).</summary>
    public const bool Enabled = true;

    private static readonly StreamWriter? Writer = Open();
    private static readonly int Every = int.TryParse(Environment.GetEnvironmentVariable("KVTIER_RANKDUMP_EVERY"), out int n) && n > 0 ? n : 50;
    private static long _choices;
    private static long _decision;

    // Each session's next-request label by session id, with whether its latest request has reached a block of its
    // own yet: one policy and one capacity per process (the dump's documented use), so the id is a key.
    private static readonly Dictionary<long, (double Next, bool OwnSeen)> NextRequest = [];

    /// <summary>
    /// A touch of a block of session <paramref name="s"/> whose true next use is <paramref name="next"/>: the label of
    /// <see cref="AgentOracleRank.NextRequest"/>, the next use of the first block of the latest request that is the
    /// session's own (until the request reaches one, its first block's).
    /// </summary>
    public static void Touch(ref AgentSession s, double next, bool firstOfRequest, bool own)
    {
        (double label, bool seen) = NextRequest.TryGetValue(s.Id, out var v) ? v : (next, false);
        if (firstOfRequest)
        {
            (label, seen) = (next, false);
        }

        if (own && !seen)
        {
            (label, seen) = (next, true);
        }

        NextRequest[s.Id] = (label, seen);
    }

    /// <summary>Whether this choice is dumped (first tier, expected-return ordering, every Nth).</summary>
    public static bool Due(int tierIndex, bool predict) =>
        Writer is not null && tierIndex == 0 && predict && (++_choices % Every) == 0 && ++_decision > 0;

    /// <summary>One row per live resident session at this choice (<paramref name="best"/> the rules' victim).</summary>
    public static void Decision(AgentSessionSlots slots, AgentSessionRequests requests, int best, double now, Func<int, double> rule, Func<int, double> score, Func<double, double> seconds)
    {
        Span<double> x = stackalloc double[AgentLearnedRank.FeatureCount];
        for (int s = slots.NextHolding(AgentSessionSlots.Shared + 1); s >= 0; s = slots.NextHolding(s + 1))
        {
            ref AgentSession r = ref slots[s];
            if (r.State != AgentSessionState.Closed && r.Id != 0)
            {
                double w = rule(s);
                AgentLearnedRank.Features(ref r, now, w, requests.Typical(ref r), x);
                double next = NextRequest.TryGetValue(r.Id, out var v) ? v.Next : r.OracleNext;
                Row(s, score(s), w, s == best, r.OracleNext, r.State, x, next, now, seconds(next));
            }
        }
    }

    private static void Row(int slot, double score, double rule, bool chosen, double next, byte state, ReadOnlySpan<double> x, double nextRequest, double now, double wait)
    {
        var line = new System.Text.StringBuilder();
        line.Append(_decision).Append(',').Append(slot).Append(',').Append(score.ToString("R", CultureInfo.InvariantCulture))
            .Append(',').Append(rule.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(chosen ? 1 : 0)
            .Append(',').Append(next.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(state);
        foreach (double v in x)
        {
            line.Append(',').Append(v.ToString("G6", CultureInfo.InvariantCulture));
        }

        line.Append(',').Append(nextRequest.ToString("R", CultureInfo.InvariantCulture));
        line.Append(',').Append(now.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(wait.ToString("R", CultureInfo.InvariantCulture));

        Writer!.WriteLine(line.ToString());
    }

    private static StreamWriter? Open()
    {
        string? path = Environment.GetEnvironmentVariable("KVTIER_RANKDUMP");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var writer = new StreamWriter(path) { AutoFlush = false };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => writer.Flush();
        return writer;
    }
#else
    /// <summary>Whether this build writes the dump (the session table then tracks each session's next use).</summary>
    public const bool Enabled = false;

    /// <summary>Nothing: this build writes no dump.</summary>
    public static void Touch(ref AgentSession s, double next, bool firstOfRequest, bool own)
    {
    }

    /// <summary>Never: this build writes no dump.</summary>
    public static bool Due(int tierIndex, bool predict) => false;

    /// <summary>Nothing: this build writes no dump.</summary>
    public static void Decision(AgentSessionSlots slots, AgentSessionRequests requests, int best, double now, Func<int, double> rule, Func<int, double> score, Func<double, double> seconds)
    {
    }
#endif
}
