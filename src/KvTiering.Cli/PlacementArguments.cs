using System.Globalization;
using KvTiering.Cost;
using KvTiering.Placement;
using KvTiering.Simulation.Placement;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Reports;

namespace KvTiering.Cli;

/// <summary>
/// The placement options of <c>kvtier simulate</c>: <c>--labels-from RULE</c> (label requests and route by the labels),
/// <c>--accelerator NAME</c> (who recomputes), <c>--explain FILE</c> and <c>--ledger-capacity N</c> (write the
/// placement ledger as JSON lines). docs/placement.md.
/// </summary>
internal sealed class PlacementArguments
{
    /// <summary>The options this class reads, for the command's option set.</summary>
    public static IEnumerable<System.CommandLine.Option> CreateOptions() =>
    [
        Arguments.Value("labels-from", "RULE", "Label each request and route blocks by the labels: context+session-size, or fixed:LABEL,... (docs/placement.md)."),
        Arguments.Value("accelerator", "NAME", "The accelerator that recomputes a miss, for modeled costs (e.g. h100, h200, b200; default h100)."),
        Arguments.Value("explain", "FILE", "Record every placement decision of one run in a ledger (JSON lines) for 'kvtier explain'."),
        Arguments.Value("ledger-capacity", "N", "How many of the latest ledger entries --explain keeps (default 100,000; older ones are dropped and counted)."),
    ];

    /// <summary>Default ledger ring for --explain: the latest 100,000 entries (about 6 MB in memory, 24 MB of JSON lines).</summary>
    public const int DefaultLedgerCapacity = 100_000;

    private PlacementArguments()
    {
    }

    public LabelRule? Labels { get; private init; }

    public PlacementRouterOptions? Routing { get; private init; }

    public AcceleratorProfile? Accelerator { get; private init; }

    public PlacementLedger? Ledger { get; private init; }

    public string? ExplainPath { get; private init; }

    public static PlacementArguments Parse(Arguments a)
    {
        LabelRule? labels = null;
        if (a.Get("labels-from") is { } rule)
        {
            try
            {
                labels = LabelRule.Parse(rule);
            }
            catch (ArgumentException ex)
            {
                throw new CliException($"--labels-from: {ex.Message}");
            }
        }

        AcceleratorProfile? accelerator = null;
        if (a.Get("accelerator") is { } name)
        {
            try
            {
                accelerator = AcceleratorProfiles.FromName(name);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ExceptionMessages.Clean(ex) + Suggest.DidYouMean(name, AcceleratorProfiles.All.Select(p => p.Name)));
            }
        }

        string? explain = a.Get("explain");
        int capacity = a.GetInt("ledger-capacity", DefaultLedgerCapacity);
        if (capacity < 1)
        {
            throw new CliException($"--ledger-capacity {capacity} must be at least 1");
        }

        if (explain is null && a.Has("ledger-capacity"))
        {
            throw new CliException("--ledger-capacity needs --explain FILE");
        }

        return new PlacementArguments
        {
            Labels = labels,
            Routing = labels is null ? null : new PlacementRouterOptions(),
            Accelerator = accelerator,
            Ledger = explain is null ? null : new PlacementLedger(capacity),
            ExplainPath = explain,
        };
    }

    /// <summary>A ledger records one store: --explain takes exactly one (policy, capacity) run.</summary>
    public void CheckRuns(int runs)
    {
        if (Ledger is not null && runs != 1)
        {
            throw new CliException($"--explain records one run; this command makes {runs} (give one --policy and one --capacity or --tiers)");
        }
    }

    /// <summary>Prints the label-class table and writes the ledger file.</summary>
    public void WriteOutputs(IReadOnlyList<ReplayResult> results, TextWriter stdout, bool quiet)
    {
        if (results.Any(r => r.LabelClasses is not null))
        {
            stdout.Write(ResultWriter.ToLabelTable(results));
        }

        if (Ledger is { } ledger && ExplainPath is { } path)
        {
            using (FileStream file = File.Create(path))
            {
                ledger.WriteJsonLines(file);
            }

            if (!quiet)
            {
                var ci = CultureInfo.InvariantCulture;
                string dropped = ledger.Dropped > 0
                    ? string.Create(ci, $" — {ledger.Dropped:N0} older entries dropped (the ring keeps the latest {ledger.Count:N0}); --ledger-capacity {ledger.Count + ledger.Dropped} keeps them all")
                    : " (none dropped)";
                stdout.WriteLine(string.Create(ci, $"wrote {path}: {ledger.Count:N0} ledger entries{dropped}"));
            }
        }
    }
}
