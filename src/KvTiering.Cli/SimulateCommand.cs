using KvTiering.Simulation.Policies;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Reports;
using KvTiering.Simulation.Traces;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Cli;

/// <summary><c>kvtier simulate</c>: replay one trace under every (policy, capacity) pair.</summary>
internal static class SimulateCommand
{
    private static readonly HashSet<string> s_options =
        ["trace", "format", "stagger", "policy", "capacity", "tiers", "model", "json", "csv", "svg", "seed", "parallel", "cache-dir", "title",
            SimulateKvEvents.Option, .. PlacementArguments.Options];

    private static readonly HashSet<string> s_flags = ["shared-tools", "no-cache", "quiet", "hints", "no-hints"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new Arguments(args, s_options, s_flags);
        Trace trace = LoadTrace(a);
        IReadOnlyList<EvictionPolicy> policies = ParsePolicies(a.Get("policy"));
        ModelPreset? model = a.Get("model") is { } m ? ModelPresets.FromName(m) : null;
        bool quiet = a.Has("quiet");
        // Hints are the default (a server knows how each response ended); --hints is accepted for older command lines.
        if (a.Has("hints") && a.Has("no-hints"))
        {
            throw new CliException("--hints and --no-hints contradict each other");
        }

        bool hints = !a.Has("no-hints");
        PlacementArguments placement = PlacementArguments.Parse(a);
        Func<KvTiering.Store.TieredKvStore, IDisposable?>? kvEvents = SimulateKvEvents.Parse(a, stderr);

        var runs = new List<ReplayOptions>();
        if (a.Get("tiers") is { } tierText)
        {
            IReadOnlyList<TierSpec> tiers = ParseTiers(tierText, trace.UniqueBlocks);
            runs.AddRange(policies.Select(p => new ReplayOptions
            {
                Policy = p, Tiers = tiers, Model = model,
                Accelerator = placement.Accelerator, Labels = placement.Labels, Routing = placement.Routing, Ledger = placement.Ledger, Hints = hints,
                AttachStore = kvEvents,
            }));
        }
        else
        {
            IReadOnlyList<CapacitySpec> capacities = CapacitySpec.ParseList(a.Get("capacity") ?? "1%,2.5%,5%,10%");
            foreach (EvictionPolicy policy in policies)
            {
                runs.AddRange(capacities.Select(c => new ReplayOptions
                {
                    Policy = policy,
                    CapacityBlocks = c.Resolve(trace.UniqueBlocks),
                    Model = model,
                    Hints = hints,
                    Accelerator = placement.Accelerator, Labels = placement.Labels, Routing = placement.Routing, Ledger = placement.Ledger,
                    AttachStore = kvEvents,
                }));
            }
        }

        placement.CheckRuns(runs.Count);
        SimulateKvEvents.CheckRuns(kvEvents, runs.Count);
        if (!quiet)
        {
            stderr.WriteLine($"kvtier: {trace.Name}: {trace.RequestCount:N0} requests, {trace.References:N0} block references, " +
                $"{trace.UniqueBlocks:N0} unique blocks of {trace.BlockTokens} tokens; {runs.Count} runs");
        }

        var results = Replayer.RunMany(trace, runs, a.GetInt("parallel", 0));
        stdout.Write(ResultWriter.ToTable(results));
        if (results.Any(r => r.Tiers.Count > 1))
        {
            stdout.Write(ResultWriter.ToTierTable(results));
        }

        stdout.Write(ResultWriter.ToPrefillRanking(results)); // empty without --model

        double refsPerSecond = results.Sum(r => r.References) / Math.Max(1e-9, results.Sum(r => r.ElapsedSeconds));
        if (!quiet)
        {
            stderr.WriteLine($"kvtier: replayed at {refsPerSecond / 1e6:F1}M block references/s per core");
        }

        placement.WriteOutputs(results, stdout, quiet);
        WriteOutputs(a, results, trace);
        return 0;
    }

    internal static Trace LoadTrace(Arguments a)
    {
        string? path = a.Get("trace");
        string formatText = a.Get("format") ?? (path is null ? "synthetic" : GuessFormat(path));
        TraceFormat format = formatText.ToLowerInvariant() switch
        {
            "mooncake" => TraceFormat.Mooncake,
            "weka" => TraceFormat.Weka,
            "synthetic" => TraceFormat.Synthetic,
            _ => throw new CliException($"--format '{formatText}' is not one of mooncake, weka, synthetic"),
        };

        if (format != TraceFormat.Synthetic && path is null)
        {
            throw new CliException($"--format {formatText} needs --trace PATH");
        }

        double stagger = a.GetDouble("stagger", 30);
        if (stagger < 0)
        {
            throw new CliException($"--stagger {stagger} must not be negative");
        }

        var options = new TraceLoadOptions
        {
            StaggerSeconds = stagger,
            SharedToolPrefix = a.Has("shared-tools"),
            UseCache = !a.Has("no-cache"),
            CacheDirectory = a.Get("cache-dir"),
            Synthetic = new KvTiering.Simulation.Workloads.SyntheticAgentOptions { Seed = a.GetInt("seed", 1) },
        };
        return TraceLoader.Load(path ?? "synthetic", format, options);
    }

    private static string GuessFormat(string path) =>
        Directory.Exists(path) || path.Contains(".json.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? "weka"
            : "mooncake";

    internal static IReadOnlyList<EvictionPolicy> ParsePolicies(string? text)
    {
        if (text is null)
        {
            return [.. EvictionPolicies.Names.Select(EvictionPolicies.FromName)];
        }

        var list = new List<EvictionPolicy>();
        foreach (string name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                list.Add(AgentPolicyVariants.FromName(name)); // built-in names and agent ablations
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }
        }

        return list.Count > 0 ? list : throw new CliException("--policy lists no policy");
    }

    private static List<TierSpec> ParseTiers(string text, int uniqueBlocks)
    {
        var tiers = new List<TierSpec>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new CliException($"tier '{part}' is not NAME:CAPACITY (e.g. hbm:2%)");
            }

            TierProfile profile;
            try
            {
                profile = TierProfiles.FromName(part[..colon]);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }

            int blocks = CapacitySpec.ParseList(part[(colon + 1)..])[0].Resolve(uniqueBlocks);
            tiers.Add(new TierSpec(profile, blocks));
        }

        return tiers.Count is > 0 and <= Store.TieredKvStore.MaxTiers
            ? tiers
            : throw new CliException($"--tiers needs 1 to {Store.TieredKvStore.MaxTiers} tiers");
    }

    private static void WriteOutputs(Arguments a, IReadOnlyList<ReplayResult> results, Trace trace)
    {
        if (a.Get("json") is { } json)
        {
            File.WriteAllText(json, ResultWriter.ToJson(results));
        }

        if (a.Get("csv") is { } csv)
        {
            File.WriteAllText(csv, ResultWriter.ToCsv(results));
        }

        if (a.Get("svg") is { } svg)
        {
            File.WriteAllText(svg, MissRatioCurveSvg.Render(results, a.Get("title") ?? trace.Name));
        }
    }
}
