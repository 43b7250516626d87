using System.CommandLine;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Placement;
using KvTiering.Simulation.Replay;

namespace KvTiering.Cli;

/// <summary>
/// <c>kvtier explain --ledger FILE [--session ID | --block ID] [--limit N]</c>: tells the story of a placement ledger
/// written by <c>kvtier simulate --explain</c> — overall, for one session, or for one block.
/// </summary>
internal static class ExplainCommand
{
    private const int DefaultLimit = 200;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("explain", "Tell the story of a placement ledger written by 'kvtier simulate --explain': an overview, one session or one block. " +
            "The ledger keeps only its latest entries (--ledger-capacity); a lookup that finds nothing says whether older ones were dropped.")
        {
            Arguments.Value("ledger", "FILE", "The ledger (JSON lines) written by 'kvtier simulate --explain' (required)."),
            Arguments.Value("session", "ID", "Show one session: its entries and where its blocks are now."),
            Arguments.Value("block", "ID", "Show one block's history: a 32-hex-digit block key or a trace block id."),
            Arguments.Value("limit", "N", "Print at most N entries of a session (default 200)."),
        };
        command.SetAction(r => Run(new Arguments(r), stdout, stderr));
        return command.WithExamples(
            "kvtier simulate --trace ../shared/traces/weka-claude-code --policy agent --capacity 1% --explain ledger.jsonl",
            "kvtier explain --ledger ledger.jsonl",
            "kvtier explain --ledger ledger.jsonl --session 7");
    }

    private static int Run(Arguments a, TextWriter stdout, TextWriter stderr)
    {
        string path = a.Require("ledger");
        if (a.Has("session") && a.Has("block"))
        {
            throw new CliException("give --session or --block, not both");
        }

        int limit = a.GetInt("limit", DefaultLimit);
        if (limit < 1)
        {
            throw new CliException($"--limit {limit} must be at least 1");
        }

        long? session = a.Get("session") is { } s ? ParseSession(s) : null;
        BlockKey? block = a.Get("block") is { } b ? ParseBlock(b) : null;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Ledger file '{path}' does not exist.", path);
        }

        PlacementLedger ledger;
        using (FileStream file = File.OpenRead(path))
        {
            ledger = PlacementLedger.ReadJsonLines(file);
        }

        if (block is { } key)
        {
            BlockExplanation story = ledger.Explain(key);
            if (story.History.Count == 0)
            {
                stderr.WriteLine($"kvtier: ledger '{path}' has no entries for block {key}{DroppedNote(ledger)}");
                return 1;
            }

            stdout.Write(story.ToString());
            return 0;
        }

        if (session is { } id)
        {
            IReadOnlyList<LedgerEntry> entries = ledger.ForSession(id);
            if (entries.Count == 0)
            {
                stderr.WriteLine($"kvtier: ledger '{path}' has no entries for session {id}{DroppedNote(ledger)}");
                return 1;
            }

            WriteSession(ledger, id, entries, limit, stdout);
            return 0;
        }

        WriteOverview(ledger, path, stdout);
        return 0;
    }

    private static void WriteSession(PlacementLedger ledger, long session, IReadOnlyList<LedgerEntry> entries, int limit, TextWriter stdout)
    {
        var ci = CultureInfo.InvariantCulture;
        var where = new Dictionary<BlockKey, int>();
        foreach (LedgerEntry e in entries)
        {
            if (e.IsMove || !where.ContainsKey(e.Key))
            {
                where[e.Key] = e.IsMove ? e.ToTier : where.GetValueOrDefault(e.Key, -1);
            }
        }

        string labels = string.Join("; ", entries.Select(e => e.Labels.ToString()).Distinct());
        Line(stdout, $"session {session}: {entries.Count:N0} ledger entries about {where.Count:N0} blocks; labels: {labels}");
        if (ledger.Dropped > 0)
        {
            Line(stdout, $"(the ledger dropped {ledger.Dropped:N0} older entries; earlier history is missing)");
        }

        foreach (LedgerEntry e in entries.Take(limit))
        {
            stdout.WriteLine("  " + ledger.Describe(e));
        }

        if (entries.Count > limit)
        {
            Line(stdout, $"  ... {entries.Count - limit:N0} more (--limit N)");
        }

        stdout.WriteLine("where its blocks are now, by the ledger:");
        foreach (IGrouping<int, KeyValuePair<BlockKey, int>> g in where.GroupBy(p => p.Value).OrderBy(g => g.Key < 0 ? int.MaxValue : g.Key))
        {
            Line(stdout, $"  {TierLabel(ledger, g.Key),-20}{g.Count(),10:N0} blocks");
        }
    }

    private static void WriteOverview(PlacementLedger ledger, string path, TextWriter stdout)
    {
        var ci = CultureInfo.InvariantCulture;
        IReadOnlyList<LedgerEntry> entries = ledger.Snapshot();
        string tiers = string.Join(", ", ledger.TierNames.Select((n, i) => string.Create(ci, $"{i} {n}")));
        Line(stdout, $"ledger {path}: {entries.Count:N0} entries, {ledger.Dropped:N0} older dropped; tiers: {tiers}");
        if (ledger.Dropped > 0)
        {
            Line(stdout, $"(the ring kept the latest {entries.Count:N0} of {entries.Count + ledger.Dropped:N0} entries: earlier sessions may be missing; simulate --ledger-capacity {entries.Count + ledger.Dropped} keeps all)");
        }

        Line(stdout, $"{entries.Select(e => e.Session).Distinct().Count():N0} sessions, {entries.Select(e => e.Key).Distinct().Count():N0} blocks");
        stdout.WriteLine();
        Line(stdout, $"{"action",-14}{"reason",-28}{"from",-14}{"to",-14}{"entries",12}");
        foreach (var g in entries.GroupBy(e => (e.Action, e.Reason, e.FromTier, e.ToTier))
            .OrderBy(g => g.Key.Action).ThenBy(g => g.Key.Reason).ThenBy(g => g.Key.FromTier).ThenBy(g => g.Key.ToTier))
        {
            string from = TierLabel(ledger, g.Key.FromTier);
            string to = TierLabel(ledger, g.Key.ToTier);
            Line(stdout, $"{Name(g.Key.Action),-14}{Name(g.Key.Reason),-28}{from,-14}{to,-14}{g.Count(),12:N0}");
        }

        stdout.WriteLine();
        Line(stdout, $"{"labels",-40}{"entries",12}{"sessions",10}");
        foreach (var g in entries.GroupBy(e => e.Labels).OrderByDescending(g => g.Count()))
        {
            Line(stdout, $"{g.Key.ToString(),-40}{g.Count(),12:N0}{g.Select(e => e.Session).Distinct().Count(),10:N0}");
        }
    }

    /// <summary>Why a lookup may have found nothing: the ring dropped older entries, and how to keep them.</summary>
    private static string DroppedNote(PlacementLedger ledger) => ledger.Dropped > 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"; the ledger kept only its latest {ledger.Count:N0} entries and dropped {ledger.Dropped:N0} older ones, which may hold it (rerun simulate with --ledger-capacity {ledger.Count + ledger.Dropped} to keep them all)")
        : " (the ledger dropped nothing: this id never reached the store)";

    private static void Line(TextWriter writer, FormattableString text) => writer.WriteLine(text.ToString(CultureInfo.InvariantCulture));

    private static string TierLabel(PlacementLedger ledger, int tier) =>
        tier < 0 ? "outside" : tier < ledger.TierNames.Count ? string.Create(CultureInfo.InvariantCulture, $"{tier} {ledger.TierNames[tier]}") : tier.ToString(CultureInfo.InvariantCulture);

    private static string Name<T>(T value) where T : struct, Enum
    {
        string text = value.ToString();
        var sb = new System.Text.StringBuilder();
        foreach (char c in text)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    private static long ParseSession(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long id)
            ? id
            : throw new CliException($"--session '{text}' is not a session id (an integer)");

    /// <summary>A block key as 32 hex digits, or a trace's dense block id as the harness keys it.</summary>
    private static BlockKey ParseBlock(string text)
    {
        if (text.Length == 32)
        {
            try
            {
                return BlockKey.Parse(text);
            }
            catch (FormatException)
            {
                // fall through to the error below
            }
        }
        else if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return new BlockKey((ulong)id + 1, Replayer.KeyNamespace);
        }

        throw new CliException($"--block '{text}' is neither a 32-hex-digit block key nor a trace block id");
    }
}
