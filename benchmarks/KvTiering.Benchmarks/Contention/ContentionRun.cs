using System.Diagnostics;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// The store's contention benchmark (issue #18): a DRAM top tier over a memory or a flash lower tier, 64 KiB and
/// 2 MiB blocks. Measures (1) a top-tier hit's latency and throughput alone and while a second thread demotes into
/// and promotes out of the lower tier at full speed; (2) a put's latency (its victim demoting) with a flash lower
/// tier against a memory one; (3) one writer's put latency alone and beside a second writer. Every byte a get
/// returns is checked. Never more than two busy threads.
/// </summary>
/// <remarks>
/// A benchmark program rather than a BenchmarkDotNet class: the goals are about tail latency under a concurrent
/// thread, which BenchmarkDotNet does not measure. Run it under <c>/work/bin/cpu-exclusive</c>:
/// <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- contention [seconds-per-phase] [64|2048|all]
/// [memory|flash|all] [holds] [copies] [nice=N|background] [cpu=N]</c> (the next two pick scenarios; default all; <c>nice=N</c>
/// runs the write-behind worker at nice N, <see cref="KvStoreOptions.WriteBehindNice"/>, <c>background</c> at 19;
/// <c>copies</c> times the hit's lock-free copies, see <see cref="ContentionArgs"/>). With <c>holds</c> it also records who
/// holds the store's lock and for how long, per call site and thread (<see cref="LockHolds"/>, off in the library by
/// default), and splits the hit thread's slowest 1% as it does the writer's (<see cref="PutTimes"/>); both cost a little
/// time per operation, so the measured runs leave them off.
/// </remarks>
internal static class ContentionRun
{
    private const int HotBlocks = 8;

    private static bool s_diagnose;
    private static int? s_nice; // the write-behind worker's nice value (KvStoreOptions.WriteBehindNice); null: the store's default
    private static int? s_cpu;  // the CPU the hit loops are pinned to (cpu=N); null: the scheduler's choice

    public static int Run(string[] args)
    {
        ContentionArgs parsed = ContentionArgs.Parse(args);
        double seconds = parsed.Seconds;
        string sizes = parsed.Sizes;
        string lowers = parsed.Lowers;
        s_diagnose = parsed.Holds;
        s_nice = parsed.Nice;
        s_cpu = parsed.Cpu;
        AppContext.SetSwitch(PutTrace.Switch, true); // the writer's slowest puts split by cause; a few clock reads per put
        if (parsed.Copies)
        {
            AppContext.SetSwitch(LookupTrace.CopyTimingSwitch, true); // before the first store reads it
        }

        Thread.CurrentThread.Name ??= "hits/writer";

        string root = Path.Combine(Path.GetTempPath(), "kvt-contention-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"# contention: {seconds:0.0} s per phase, {Environment.ProcessorCount} cores, {Environment.Version}" +
                (s_nice is { } nice ? $", write-behind worker at nice {nice}" : ", write-behind worker at the store's default priority") +
                (parsed.Copies ? ", lock-free copies timed" : "") + (s_cpu is { } cpu ? $", hit loops on CPU {cpu}" : ""));
            foreach (int blockKiB in new[] { 64, 2048 })
            {
                foreach (bool flash in new[] { false, true })
                {
                    if ((sizes != "all" && sizes != blockKiB.ToString(System.Globalization.CultureInfo.InvariantCulture))
                        || (lowers != "all" && lowers != (flash ? "flash" : "memory")))
                    {
                        continue;
                    }

                    string dir = Path.Combine(root, $"{blockKiB}-{flash}");
                    (double p99, double throughput) = RunScenario(blockKiB * 1024, flash ? dir : null, seconds);
                    Ceiling(blockKiB * 1024, flash ? dir : null, seconds, p99, throughput);
                }
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs one scenario's phases and prints them; returns the hit's p99 and throughput ratios beside the mover at full speed.</summary>
    private static (double HitP99, double HitThroughput) RunScenario(int blockBytes, string? flashDir, double seconds)
    {
        int top = blockBytes <= 65536 ? 512 : 32;
        int lower = top * 8;
        var layout = new KvLayout("bench", 1, 1, blockBytes / 16 / 2, 2, 16);
        var profile = new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0);
        var options = new KvStoreOptions { Layout = layout };
        if (s_nice is { } nice)
        {
            options.WriteBehindNice = nice;
        }

        options.Tiers.Add(new TierOptions(profile, top));
        options.Tiers.Add(new TierOptions(new TierProfile(flashDir is null ? "memory" : "flash",
            flashDir is null ? TierKind.Dram : TierKind.Flash, 3e9, 2e9, TimeSpan.Zero, 0, 0), lower)
        {
            Directory = flashDir,
            Policy = EvictionPolicy.Lru,
            WriteBehind = flashDir is not null, // demotions into flash off the put's path (issue #18; absent before it)
        });
        using var store = new TieredKvStore(options);
        var blocks = new ContentionBlocks(blockBytes);
        for (int i = 0; i < HotBlocks; i++)
        {
            store.Put(ContentionBlocks.Key(i), BlockKey.Empty, blocks.Fill(i));
            store.Pin(ContentionBlocks.Key(i));
        }

        string name = $"{blockBytes / 1024} KiB, {(flashDir is null ? "memory" : "flash")} lower tier";
        var mover = new Mover(store, blocks, lower);
        var backlog = new Backlog(store);
        Series hitsAlone = Hits(store, blocks, seconds, null, out string hitTailAlone, out HitOutcomes outcomesAlone);
        LockHoldRecorder? hitHolds = HoldsReport.Record(s_diagnose);
        var rates = WriteBehindRates.Start(store, blockBytes);
        double[] interrupts = HitCpu.InterruptMs();
        Series hitsBusy = Hits(store, blocks, seconds, mover, out string hitTailBusy, out HitOutcomes outcomesBusy);
        string ratesBusy = rates.Stop() + "; interrupt time " + HitCpu.Since(interrupts) + ", " + outcomesBusy.Cpus;
        LockHolds.Recorder = null;
        backlog.Drain("mover alone");
        Series putsAlone = mover.Alone(seconds);
        backlog.Drain("writer alone");
        Series writerAlone = Writer(store, blocks, seconds, null, out string tailAlone);
        LockHoldRecorder? writerHolds = HoldsReport.Record(s_diagnose);
        backlog.Drain("second writer");
        Series writerBusy = Writer(store, blocks, seconds, mover, out string tailBusy);
        LockHolds.Recorder = null;
        Series? hitsPaced = null;
        Series? writerPaced = null;
        string? tailPaced = null;
        HitOutcomes? outcomesPaced = null;
        string? ratesPaced = null;
        if (flashDir is not null)
        {
            // With a flash lower tier the write-behind worker is a third busy thread on a two-core machine; the paced
            // mover (half duty) leaves it a core's half, so no more threads are busy than there are cores.
            mover.Paced = true;
            backlog.Drain("paced hits");
            rates = WriteBehindRates.Start(store, blockBytes);
            hitsPaced = Hits(store, blocks, seconds, mover, out _, out outcomesPaced);
            ratesPaced = rates.Stop();
            backlog.Drain("paced writer");
            writerPaced = Writer(store, blocks, seconds, mover, out tailPaced);
            mover.Paced = false;
        }

        Console.WriteLine();
        Console.WriteLine($"## {name}");
        Console.WriteLine("| measure | ops | ops/s | p50 µs | p99 µs | p99.9 µs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        hitsAlone.Print("top-tier hit, alone");
        hitsBusy.Print("top-tier hit, mover running");
        putsAlone.Print("mover put (victim demotes), alone");
        writerAlone.Print("writer put, alone");
        writerBusy.Print("writer put, second writer running");
        hitsPaced?.Print("top-tier hit, mover paced (1 ms on, 1 ms off)");
        writerPaced?.Print("writer put, paced mover running");
        Console.WriteLine($"writer put alone, {tailAlone}");
        Console.WriteLine($"writer put beside the mover, {tailBusy}");
        if (tailPaced is not null)
        {
            Console.WriteLine($"writer put beside the paced mover, {tailPaced}");
        }

        Console.WriteLine(backlog);
        Console.WriteLine($"hit outcomes alone: {outcomesAlone}");
        Console.WriteLine($"hit outcomes beside the mover: {outcomesBusy}");
        Console.WriteLine($"lower tier while hits ran beside the mover: {ratesBusy}");
        if (outcomesPaced is not null)
        {
            Console.WriteLine($"hit outcomes beside the paced mover: {outcomesPaced}");
            Console.WriteLine($"lower tier while hits ran beside the paced mover: {ratesPaced}");
        }

        if (s_diagnose)
        {
            Console.WriteLine($"top-tier hit alone, {hitTailAlone}");
            Console.WriteLine($"top-tier hit beside the mover, {hitTailBusy}");
            HoldsReport.Print("hits beside the mover", hitHolds!, seconds);
            HoldsReport.Print("writer beside the mover", writerHolds!, seconds);
        }

        Console.WriteLine($"| mover gets verified while hits ran: {mover.Verified}, mismatches: {mover.Mismatches + blocks.Mismatches} | | | | | |");
        TierStatistics below = store.GetStatistics().Tiers[1];
        Console.WriteLine($"| lower tier: {below.ResidentBlocks} resident, {store.GetStatistics().Tiers[0].Demotions} demotions in, " +
            $"{below.WriteBehindDrops} write-behind drops, {below.Promotions} promotions out | | | | | |");
        Console.WriteLine(
            $"ratios: hit p99 busy/alone {hitsBusy.P(0.99) / hitsAlone.P(0.99):0.00} (goal ≤ 2), hit throughput busy/alone " +
            $"{hitsBusy.Throughput / hitsAlone.Throughput:0.00} (goal ≥ 0.8), writer p99 busy/alone " +
            $"{writerBusy.P(0.99) / writerAlone.P(0.99):0.00} (goal ≤ 3); put p50 {putsAlone.P(0.5):0.0} µs (compare flash with memory: goal ≤ 1.5×)");
        if (hitsPaced is not null && writerPaced is not null)
        {
            Console.WriteLine(
                $"paced mover: hit p99 busy/alone {hitsPaced.P(0.99) / hitsAlone.P(0.99):0.00}, hit throughput busy/alone " +
                $"{hitsPaced.Throughput / hitsAlone.Throughput:0.00}, writer p99 busy/alone {writerPaced.P(0.99) / writerAlone.P(0.99):0.00}");
        }
        if (mover.Mismatches + blocks.Mismatches != 0)
        {
            throw new InvalidOperationException($"{name}: {mover.Mismatches + blocks.Mismatches} gets returned wrong bytes.");
        }

        return (hitsBusy.P(0.99) / hitsAlone.P(0.99), hitsBusy.Throughput / hitsAlone.Throughput);
    }

    /// <summary>
    /// The machine's ceiling for the hit rows (<see cref="RawCeiling"/>), after the store is gone, and the store's
    /// full-speed hit ratios against it.
    /// </summary>
    private static void Ceiling(int blockBytes, string? flashDir, double seconds, double storeP99, double storeThroughput)
    {
        int top = blockBytes <= 65536 ? 512 : 32;
        var blocks = new ContentionBlocks(blockBytes);
        using var raw = new RawCeiling(blocks, top, top * 8, flashDir, s_nice ?? 0, s_cpu);
        (Series alone, Series mover, Series? moverAndWriter) = raw.Measure(seconds);
        if (blocks.Mismatches != 0)
        {
            throw new InvalidOperationException($"raw ceiling: {blocks.Mismatches} copies returned wrong bytes.");
        }

        Console.WriteLine($"### raw ceiling, {blockBytes / 1024} KiB (memcpy out of a native slab, no store)");
        Console.WriteLine("| measure | ops | ops/s | p50 µs | p99 µs | p99.9 µs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        alone.Print("raw copy, alone");
        mover.Print("raw copy, raw mover running");
        moverAndWriter?.Print("raw copy, raw mover and raw O_DIRECT writer running");
        Series busy = moverAndWriter ?? mover;
        double p99 = busy.P(0.99) / alone.P(0.99);
        double throughput = busy.Throughput / alone.Throughput;
        Console.WriteLine(
            $"raw ratios: p99 busy/alone {mover.P(0.99) / alone.P(0.99):0.00} (mover), throughput busy/alone " +
            $"{mover.Throughput / alone.Throughput:0.00} (mover)" +
            (moverAndWriter is null ? "" : $"; with the direct writer too: p99 {p99:0.00}, throughput {throughput:0.00}"));
        Console.WriteLine(
            $"store against the ceiling (store ratio / raw ratio{(moverAndWriter is null ? "" : ", raw with the writer")}): " +
            $"hit p99 {storeP99 / p99:0.00}, hit throughput {storeThroughput / throughput:0.00}");
    }

    /// <summary>Thread A: hits on the pinned hot set, each checked, while <paramref name="mover"/> (if any) runs on a second thread.</summary>
    private static Series Hits(TieredKvStore store, ContentionBlocks blocks, double seconds, Mover? mover, out string tail,
        out HitOutcomes outcomes)
    {
        outcomes = new HitOutcomes();
        using PutTimes? times = s_diagnose ? new PutTimes() : null;
        using var stop = mover?.Start();
        using IDisposable? pinned = HitCpu.Pin(s_cpu); // after the mover started: it keeps every CPU
        var series = new Series();
        var buffer = new byte[blocks.BlockBytes];
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int i = 0; Stopwatch.GetTimestamp() < end; i++)
        {
            int id = i % HotBlocks;
            times?.Begin();
            HitOutcomes.Begin();
            long t0 = Stopwatch.GetTimestamp();
            bool hit = store.TryGet(ContentionBlocks.Key(id), buffer, out int written, out int tier);
            long t1 = Stopwatch.GetTimestamp();
            outcomes.End(t1 - t0);
            times?.End(t1 - t0);
            if (!hit || tier != 0)
            {
                throw new InvalidOperationException($"hot block {id} missed the top tier (hit {hit}, tier {tier})");
            }

            blocks.Check(id, buffer.AsSpan(0, written));
            series.Add(t1 - t0);
            if ((i & 1023) == 0)
            {
                outcomes.SawCpu(HitCpu.Current());
            }
        }

        tail = times?.Tail() ?? "";
        return series;
    }

    /// <summary>Thread C: puts of new blocks, alone or beside the mover's puts.</summary>
    private static Series Writer(TieredKvStore store, ContentionBlocks blocks, double seconds, Mover? mover, out string tail)
    {
        using var times = new PutTimes();
        using var stop = mover?.Start();
        var series = new Series();
        var payload = new byte[blocks.BlockBytes];
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int n = 0; Stopwatch.GetTimestamp() < end; n++)
        {
            int id = blocks.NextWriterId();
            blocks.Fill(id, payload);
            times.Begin();
            long t0 = Stopwatch.GetTimestamp();
            store.Put(ContentionBlocks.Key(id), BlockKey.Empty, payload);
            long t1 = Stopwatch.GetTimestamp();
            times.End(t1 - t0);
            series.Add(t1 - t0);
            // One put a millisecond at most: a steady writer (a transfer receiver), not a second flood.
            while (Stopwatch.GetTimestamp() - t1 < Stopwatch.Frequency / 1000)
            {
                Thread.SpinWait(20);
            }
        }

        tail = times.Tail();
        return series;
    }
}
