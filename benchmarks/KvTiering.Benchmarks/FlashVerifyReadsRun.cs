using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Benchmarks;

/// <summary>
/// Foreground flash reads while the background verification runs, against the same reads with it idle, in one run:
/// does the verification of what an open's budget left unchecked slow the reads a server makes meanwhile?
/// </summary>
/// <remarks>
/// <para>
/// The file holds <c>deferred</c> GiB of 256 KiB blocks. Every round opens the device with a zero verification budget,
/// so all of them are left to the background verification (<see cref="IDeferredRecovery"/>, as a store starts it),
/// writes 64 hot blocks into free slots, and reads them at random: at depth 1 (one read at a time) and depth 4 (four
/// threads, the half of the default queue depth of 8 the verification leaves free), first with the verification idle,
/// then again after starting it. A round counts only if the verification was still running when its last read ended.
/// The hot blocks are freed before the device closes, so the next open defers the same set. Reads are O_DIRECT, so the
/// page cache is out of the way on both sides.
/// </para>
/// <para>Run with <c>dotnet KvTiering.Benchmarks.dll flash-verify-reads [rounds=10] [deferred GiB=4] [directory=/tmp]</c>,
/// under the exclusive CPU lock.</para>
/// </remarks>
internal static class FlashVerifyReadsRun
{
    private const int BlockBytes = 256 * 1024;
    private const int HotBlocks = 64;
    private const int ReadsPerPhase = 400;
    private const int QueueDepth = 8;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        double deferredGiB = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        string root = args.Length > 2 ? args[2] : "/tmp";
        int deferred = (int)(deferredGiB * (1L << 30) / BlockBytes);
        int slots = deferred + HotBlocks;
        string dir = Path.Combine(root, "kvt-verify-reads-" + Guid.NewGuid().ToString("N"));
        try
        {
            Fill(dir, slots, deferred);
            int[] depths = [1, 4];
            var idle = new List<double>[depths.Length * 2];
            var busy = new List<double>[depths.Length * 2];
            for (int i = 0; i < idle.Length; i++)
            {
                idle[i] = [];
                busy[i] = [];
            }

            Console.WriteLine("| round | depth | idle p50 µs | running p50 µs | idle p99 µs | running p99 µs | idle reads/s | running reads/s | verified meanwhile |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int round = 0; round <= rounds; round++)
            {
                Round(dir, slots, deferred, depths, round, round == 0 ? null : (idle, busy));
            }

            Console.WriteLine();
            Console.WriteLine("| depth | idle p50 µs | running p50 µs | p50 running ÷ idle | idle reads/s | running reads/s | throughput running ÷ idle |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            for (int d = 0; d < depths.Length; d++)
            {
                double p50Idle = Median(idle[2 * d]), p50Busy = Median(busy[2 * d]);
                double rateIdle = Median(idle[(2 * d) + 1]), rateBusy = Median(busy[(2 * d) + 1]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {depths[d]} | {p50Idle:F0} | {p50Busy:F0} | {p50Busy / p50Idle:F2}× | {rateIdle:N0} | {rateBusy:N0} | {rateBusy / rateIdle:F2}× |"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes the blocks the verification will check, then closes the file.</summary>
    private static void Fill(string dir, int slots, int deferred)
    {
        var clock = Stopwatch.StartNew();
        using var device = new FlashDevice(dir, slots, BlockBytes, new FlashDeviceOptions { QueueDepth = QueueDepth });
        var payload = new byte[BlockBytes];
        new Random(7).NextBytes(payload);
        Parallel.For(0, deferred, new ParallelOptions { MaxDegreeOfParallelism = QueueDepth }, () => (byte[])payload.Clone(), (slot, _, local) =>
        {
            BitConverter.TryWriteBytes(local, slot);
            device.Write(slot, new BlockKey((ulong)slot + 1, 0xDEFE), BlockKey.Empty, local);
            return local;
        }, _ => { });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{deferred:N0} blocks of {BlockBytes / 1024} KiB ({deferred * (double)BlockBytes / (1L << 30):F1} GiB) to verify in the background, written in {clock.Elapsed.TotalSeconds:F1} s; queue depth {QueueDepth}; {ReadsPerPhase} reads of {HotBlocks} hot blocks per phase"));
        Console.WriteLine();
    }

    /// <summary>One open: the hot reads idle, then with the verification running; round 0 warms up and is not recorded.</summary>
    private static void Round(string dir, int slots, int deferred, int[] depths, int round, (List<double>[] Idle, List<double>[] Busy)? record)
    {
        using var device = new FlashDevice(dir, slots, BlockBytes,
            new FlashDeviceOptions { QueueDepth = QueueDepth, RecoveryVerificationBudget = TimeSpan.Zero });
        device.Recover();
        var hot = new byte[BlockBytes];
        for (int i = 0; i < HotBlocks; i++)
        {
            new Random(1000 + i).NextBytes(hot);
            device.Write(deferred + i, HotKey(i), BlockKey.Empty, hot);
        }

        var idle = new (double P50, double P99, double Rate)[depths.Length];
        for (int d = 0; d < depths.Length; d++)
        {
            idle[d] = Phase(device, deferred, depths[d], round);
        }

        long pendingBefore = device.GetStatistics().PendingVerification;
        ((IDeferredRecovery)device).VerifyDeferred(static (_, _, _) => { });
        var busy = new (double P50, double P99, double Rate)[depths.Length];
        for (int d = 0; d < depths.Length; d++)
        {
            busy[d] = Phase(device, deferred, depths[d], round + 7919);
        }

        long pendingAfter = device.GetStatistics().PendingVerification;
        bool valid = pendingAfter > 0;
        for (int d = 0; d < depths.Length; d++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(record is null ? "warm-up" : round)} | {depths[d]} | {idle[d].P50:F0} | {busy[d].P50:F0} | {idle[d].P99:F0} | {busy[d].P99:F0} | {idle[d].Rate:N0} | {busy[d].Rate:N0} | {pendingBefore - pendingAfter:N0}{(valid ? "" : " (finished: not counted)")} |"));
            if (record is { } r && valid)
            {
                r.Idle[2 * d].Add(idle[d].P50);
                r.Idle[(2 * d) + 1].Add(idle[d].Rate);
                r.Busy[2 * d].Add(busy[d].P50);
                r.Busy[(2 * d) + 1].Add(busy[d].Rate);
            }
        }

        for (int i = 0; i < HotBlocks; i++)
        {
            device.Free(deferred + i); // the next open defers the same set, no more
        }
    }

    private static BlockKey HotKey(int i) => new((ulong)i + 1, 0x407);

    /// <summary><see cref="ReadsPerPhase"/> reads of random hot blocks, <paramref name="depth"/> at once; each read's latency.</summary>
    private static (double P50, double P99, double Rate) Phase(FlashDevice device, int deferred, int depth, int seed)
    {
        var latencies = new double[ReadsPerPhase];
        int next = -1;
        long start = Stopwatch.GetTimestamp();
        Parallel.For(0, depth, new ParallelOptions { MaxDegreeOfParallelism = depth }, worker =>
        {
            var random = new Random((seed * 31) + worker);
            var destination = new byte[BlockBytes];
            int i;
            while ((i = Interlocked.Increment(ref next)) < ReadsPerPhase)
            {
                int hot = random.Next(HotBlocks);
                long t = Stopwatch.GetTimestamp();
                if (device.Read(deferred + hot, HotKey(hot), destination) != BlockBytes)
                {
                    throw new InvalidOperationException($"Hot block {hot} did not read back: the benchmark is broken.");
                }

                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            }
        });

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Array.Sort(latencies);
        return (latencies[ReadsPerPhase / 2], latencies[ReadsPerPhase * 99 / 100], ReadsPerPhase / seconds);
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var copy = values.ToArray();
        Array.Sort(copy);
        return copy[copy.Length / 2];
    }
}
