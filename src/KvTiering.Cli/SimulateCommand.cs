using System.CommandLine;
using KvTiering.Cli.Plots;
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
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("simulate", "Replay a trace under every (policy, capacity) pair and print each token hit rate. With no " +
            "--trace, replays the built-in seeded synthetic agent workload. Where a trace records how each response ended (WEKA's " +
            "\"stop\"), policies that read session hints (agent) are told when it ends and their rows read \"policy+hints\".")
        {
            Arguments.Value("trace", "PATH", "The trace: a Mooncake .jsonl file, a WEKA directory or .json(.gz) file, or a libCacheSim/Bailian file (see --format). Default: the synthetic workload."),
            Arguments.Value("format", "FORMAT", "How to read --trace: mooncake (also Dynamo's agentic rows: session_id, wait_for, tool_wait_ms), weka, bailian, txt, csv, oracleGeneral or synthetic. Default: by extension (a directory or .json(.gz) is weka, .txt txt, .csv csv, a name containing oracleGeneral oracleGeneral, as libCacheSim names them: x.oracleGeneral.bin), else mooncake."),
            Arguments.Value("trace-options", "OPTIONS", "Columns of a csv trace, in libCacheSim's words: obj-id-col=N,time-col=N,has-header=true,delimiter=; (columns from 1)."),
            Arguments.Value("semantics", "MODE", "prefix (default): a request's hit is its leading resident blocks. reference: every block looked up and inserted on its own, as libCacheSim does; block_hit_rate = 1 - its miss ratio."),
            Arguments.Value("stagger", "SECONDS", "WEKA only: seconds between the starts of consecutive sessions (default 30); sessions overlap as on a shared server."),
            Arguments.Value("sessions", "HALF", "WEKA only: all (default), even or odd: replay only the session files at even (0, 2, ...) or odd positions in name order, 30 s apart as usual, to tune on one half and report the other."),
            Arguments.Flag("shared-tools", "WEKA only: give every session the same tool-definition prefix (as one agent product would), so it is shared across sessions."),
            Arguments.Value("policy", "NAMES", "Comma-separated eviction policies (see 'kvtier policies'). Settings follow a colon: s3fifo:small=0.1,threshold=2 (libCacheSim's S3-FIFO; ours defaults to threshold=1), wtinylfu:window=0.01, wtinylfu:libcachesim=1 (libCacheSim's WTinyLFU; ours is Caffeine's), agent:lindy=0+tail=false. Default: every built-in policy."),
            Arguments.Value("capacity", "SIZES", "Comma-separated cache sizes: a block count (12415) or a share of the trace's unique blocks up to 100% (2.5%). Default: 1%,2.5%,5%,10%."),
            Arguments.Value("tiers", "TIERS", "A multi-tier store instead of --capacity: NAME:SIZE,... from fastest to slowest, e.g. hbm3:1%,dram:5%,flash:20% (tiers: sram, hbm3, hbm3e, gddr7, dram, flash)."),
            Arguments.Flag("demote-dead", "With --tiers: demote the victims a policy knows dead (agent: a closed session's private blocks, a branch its session left) into the tier below as other victims, instead of dropping them (the default); for an A/B, labelled \"+demotedead\"."),
            Arguments.Flag("tell-demotions", "With --tiers: report a block demoted into a lower tier to its policy as a demotion (agent then leaves its session's gap, last request and depths alone) instead of as an insert a request made (the default); for an A/B, labelled \"+telldemotions\"."),
            Arguments.Flag("tell-requests", "With --tiers: tell each lower tier's policy of every request's arrival, the requests the tiers above serve included (agent then moves the session's gap and last request there without touching blocks); for an A/B, labelled \"+tellrequests\"."),
            Arguments.Value("model", "MODEL", "Price each request's prefill with this model (e.g. llama-3.1-8b) to report modeled time-to-first-token."),
            Arguments.Value("json", "FILE", "Write every result, with the run's details (block size, hints, seed, stagger, version, peak memory), as JSON."),
            Arguments.Value("csv", "FILE", "Write every result as CSV, one row per (policy, capacity)."),
            Arguments.Value("svg", "FILE", "Draw the hit-rate curves (token hit rate against capacity, log scale) as SVG; with --tiers, the tokens each tier served."),
            Arguments.Value("png", "FILE", "The same figure as --svg, as a PNG image."),
            Arguments.Value("gap-plot", "FILE", "Draw the share of the LRU -> Belady gap each policy closes, per capacity, as a bar chart (.svg or .png; needs lru and belady in --policy)."),
            Arguments.Value("title", "TEXT", "The title of the plots (default: the trace's name)."),
            Arguments.Value("seed", "N", "Seed of the synthetic workload (default 1); the same seed gives the same trace."),
            Arguments.Value("parallel", "N", "Replay up to N runs at once (default: one per core). Use 1 to measure replay speed."),
            Arguments.Value("cache-dir", "DIR", "Where parsed traces are cached (default: the system temp folder)."),
            Arguments.Flag("no-cache", "Parse the trace again instead of reading or writing the parsed-trace cache."),
            Arguments.Flag("quiet", "Print only the results table (no trace summary, progress or speed on stderr)."),
            Arguments.Flag("hints", "Deliver session hints (the default; kept for older command lines)."),
            Arguments.Flag("no-hints", "Replay the access stream alone, without session hints."),
            Arguments.Value("policy-assembly", "DLL", "Load eviction policies from a compiled assembly (see samples/CustomPolicy) so --policy can name them."),
            Arguments.Value(SimulateKvEvents.Option, "ENDPOINT", "Publish the replay's KV events (vLLM wire format) on a ZeroMQ endpoint such as tcp://127.0.0.1:5557; one run only (docs/kv-events.md)."),
        };
        foreach (Option option in PlacementArguments.CreateOptions().Concat(CloseHintArguments.CreateOptions()))
        {
            command.Add(option);
        }

        command.SetAction(r => Run(new Arguments(r), stdout, stderr));
        return command.WithExamples(
            "kvtier simulate --trace ../shared/traces/weka-claude-code --capacity 1%,5% --policy lru,agent,belady",
            "kvtier simulate --trace ../shared/traces/mooncake/conversation_trace.jsonl --json out.json --svg out.svg --png out.png",
            "kvtier simulate --policy lru,s3fifo,agent,belady --gap-plot gap.svg",
            "kvtier simulate --tiers hbm3:1%,dram:5%,flash:20% --model llama-3.1-8b --policy agent",
            "kvtier simulate --policy-assembly CustomPolicy.dll --policy lru,mru");
    }

    private static int Run(Arguments a, TextWriter stdout, TextWriter stderr)
    {
        OutputFiles.Check(a, "json", "csv", "svg", "png", "gap-plot", "explain");
        PolicyAssemblies.LoadFrom(a.Get("policy-assembly"));
        IReadOnlyList<EvictionPolicy> policies = PolicyArguments.ParsePolicies(a.Get("policy"));
        CheckGapPlot(a, policies);
        SessionCloseOptions? close = CloseHintArguments.Parse(a); // before the trace loads: a bad value fails at once
        Trace trace = TraceArguments.Load(a);
        ModelPreset? model = a.Get("model") is { } m ? PolicyArguments.ParseModel(m) : null;
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
        bool dropDead = !a.Has("demote-dead");
        if (!dropDead && a.Get("tiers") is null)
        {
            throw new CliException("--demote-dead needs --tiers: a single tier has no tier below to demote into");
        }

        bool tellDemotions = a.Has("tell-demotions");
        if (tellDemotions && a.Get("tiers") is null)
        {
            throw new CliException("--tell-demotions needs --tiers: a single tier has no tier above to demote from");
        }

        bool tellRequests = a.Has("tell-requests");
        if (tellRequests && a.Get("tiers") is null)
        {
            throw new CliException("--tell-requests needs --tiers: a single tier has no tier above to serve requests");
        }

        if (a.Get("tiers") is { } tierText)
        {
            IReadOnlyList<TierSpec> tiers = PolicyArguments.ParseTiers(tierText, trace.UniqueBlocks);
            runs.AddRange(policies.Select(p => new ReplayOptions
            {
                Policy = p, Tiers = tiers, Model = model,
                Accelerator = placement.Accelerator, Labels = placement.Labels, Routing = placement.Routing, Ledger = placement.Ledger, Hints = hints,
                Close = close, AttachStore = kvEvents, DropDeadVictims = dropDead, TellDemotions = tellDemotions,
                TellRequests = tellRequests,
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
                    Close = close,
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

        int parallel = a.GetInt("parallel", 0);
        if (parallel < 0)
        {
            throw new CliException($"--parallel {parallel} must not be negative (0 means one per core)");
        }

        IReadOnlyList<ReplayResult> results = RunProgress.RunMany(trace, runs, parallel, quiet ? null : stderr);
        stdout.Write(ResultWriter.ToTable(results));
        if (string.Equals(a.Get("semantics"), "reference", StringComparison.OrdinalIgnoreCase))
        {
            // Each block reference is its own one-block request here, so the token hit rate the table prints is the
            // block hit rate: say so, or a libCacheSim user looks for the number to compare with its miss ratio.
            stdout.WriteLine("--semantics reference: each block is its own request, so the token hit rate is the block hit rate (1 - libCacheSim's miss ratio).");
        }

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
        WriteOutputs(a, results, trace, hints);
        return 0;
    }

    /// <summary>The gap-closed chart's needs, checked before the replay rather than after it.</summary>
    private static void CheckGapPlot(Arguments a, IReadOnlyList<EvictionPolicy> policies)
    {
        if (a.Get("gap-plot") is not null
            && !(policies.Any(p => p.Name == "lru") && policies.Any(p => PlotPalette.IsBelady(p.Name)) && policies.Count >= 3))
        {
            throw new CliException("--gap-plot needs lru, belady and another policy at the same capacity (e.g. --policy lru,agent,belady)");
        }
    }

    private static void WriteOutputs(Arguments a, IReadOnlyList<ReplayResult> results, Trace trace, bool hints)
    {
        if (a.Get("json") is { } json)
        {
            var details = new RunDetails
            {
                Trace = a.Get("trace") ?? trace.Name,
                Format = a.Get("format") ?? (a.Get("trace") is { } p ? TraceArguments.GuessFormat(p) : "synthetic"),
                BlockTokens = trace.BlockTokens,
                UniqueBlocks = trace.UniqueBlocks,
                Hints = hints && trace.TurnEnds is not null,
                Seed = a.Get("trace") is null ? a.GetInt("seed", 1) : null,
                StaggerSeconds = a.Get("trace") is { } t && TraceArguments.GuessFormat(t) == "weka" && a.Get("format") is null or "weka" ? a.GetDouble("stagger", 30) : null,
                Command = a.CommandLine,
                PeakWorkingSetBytes = PeakWorkingSet(),
                GcHeapBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
                AllocatedBytes = GC.GetTotalAllocatedBytes(),
                Version = CliVersion.Text,
            };
            File.WriteAllText(json, ResultWriter.ToJson(results, details));
        }

        if (a.Get("csv") is { } csv)
        {
            File.WriteAllText(csv, ResultWriter.ToCsv(results));
        }

        string title = a.Get("title") ?? trace.Name;
        Figures.WriteMain(results, title, trace.BlockTokens, a.Get("svg"), a.Get("png"));
        Figures.WriteGap(results, title, a.Get("gap-plot"));
    }

    /// <summary>The process's peak resident set so far (VmHWM on Linux).</summary>
    private static long PeakWorkingSet()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }
}
