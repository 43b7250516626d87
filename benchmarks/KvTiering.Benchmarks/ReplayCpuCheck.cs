using Stopwatch = System.Diagnostics.Stopwatch;
using System.Globalization;
using System.Runtime.InteropServices;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Benchmarks;

/// <summary>
/// `replay-cpus [policy] [replays]`: ReplayBenchmarks' replay (Mooncake conversation, 5% of unique blocks, the store
/// built untimed before each replay) with the replaying thread moved to CPU <c>i % ProcessorCount</c> before replay
/// <c>i</c>, printing each CPU's times. The code, the data and the process stay the same, so a CPU whose times differ
/// is slower itself: on this 2-core VM one vCPU runs the replay 1.2–1.6× slower for seconds to minutes at a time, and
/// a process stays on its vCPU, which is what made ReplayBenchmarks' rows bimodal by process (docs/benchmarks.md,
/// "ReplayBenchmarks", session bench20). Run it before a timing to see whether the machine is in such a window.
/// Linux only (sched_setaffinity on the calling thread).
/// </summary>
internal static partial class ReplayCpuCheck
{
    public static int Run(string[] args)
    {
        string policy = args.Length > 0 ? args[0] : "lru";
        int replays = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 12;
        int cpus = Math.Min(Environment.ProcessorCount, 64);
        Trace trace = TraceLoader.Load(Path.Combine(BenchPaths.TraceRoot(), "mooncake", "conversation_trace.jsonl"),
            TraceFormat.Mooncake);
        NextUseIndex oracle = NextUseIndex.Build(trace);
        ReplayOptions Options() => new()
        {
            Policy = EvictionPolicies.FromName(policy), CapacityBlocks = trace.UniqueBlocks / 20,
        };

        // Tier-1 code first, as ReplayBenchmarks' setup does.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 8 || warm.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            using PreparedReplay prepared = PreparedReplay.Prepare(trace, Options(), oracle);
            prepared.Execute();
        }

        var times = new List<double>[cpus];
        for (int c = 0; c < cpus; c++)
        {
            times[c] = [];
        }

        for (int i = 0; i < replays; i++)
        {
            int cpu = i % cpus;
            ulong mask = 1UL << cpu;
            if (SetAffinity(0, sizeof(ulong), ref mask) != 0)
            {
                Console.Error.WriteLine($"sched_setaffinity failed (errno {Marshal.GetLastPInvokeError()})");
                return 1;
            }

            PreparedReplay prepared = PreparedReplay.Prepare(trace, Options(), oracle);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            double ms = prepared.Execute().ElapsedSeconds * 1000;
            prepared.Dispose();
            times[cpu].Add(ms);
        }

        for (int c = 0; c < cpus; c++)
        {
            if (times[c].Count == 0)
            {
                continue;
            }

            double median = times[c].Order().ElementAt(times[c].Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{policy} cpu {c}: median {median:F2} ms = {trace.References / median / 1000:F1} M refs/s; {string.Join(" ", times[c].Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}"));
        }

        return 0;
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int SetAffinity(int pid, nint size, ref ulong mask);
}
