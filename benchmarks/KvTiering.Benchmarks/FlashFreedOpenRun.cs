using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Benchmarks;

/// <summary>
/// What a free costs and what it saves the next open: a file where <c>written</c> GiB were written and then all freed,
/// freed by zeroing each slot's header (the way every free went before flash32, and the fallback where a file system
/// cannot zero a range: <see cref="FlashDeviceOptions.RefuseZeroRange"/>) against freed by zeroing each record's range
/// (<c>fallocate</c> <c>FALLOC_FL_ZERO_RANGE</c>), alternated round by round in one run, since the disk drifts.
/// </summary>
/// <remarks>
/// <para>
/// Per round and way: write the blocks (64 KiB by default, up to the queue depth at once), free every one from one
/// thread timing each call (the store's write-behind worker frees one slot at a time), close, reopen and time the
/// recovery (its header scan: no block is left to verify), then write 4,096 blocks into freed slots from one thread,
/// timing each (a write into a zeroed range lands in unwritten extents, which the file system converts). O_DIRECT, a
/// sparse file on the disk under <c>directory</c> (not tmpfs, which cannot zero a range).
/// </para>
/// <para>Run with <c>dotnet KvTiering.Benchmarks.dll flash-freed-open [written GiB=4] [rounds=2] [file GiB=64]
/// [block KiB=64] [directory=/tmp]</c>, under the exclusive CPU lock.</para>
/// </remarks>
internal static class FlashFreedOpenRun
{
    private const int QueueDepth = 8;
    private const int Rewrites = 4096;

    public static int Run(string[] args)
    {
        double writtenGiB = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 4;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        double fileGiB = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 64;
        int blockBytes = (args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 64) * 1024;
        string root = args.Length > 4 ? args[4] : "/tmp";
        int slots = (int)(fileGiB * (1L << 30) / (blockBytes + 4096L));
        int written = Math.Min(slots, (int)(writtenGiB * (1L << 30) / blockBytes));
        Console.WriteLine($"flash-freed-open: {fileGiB} GiB file, {slots:N0} slots of {blockBytes / 1024} KiB, {written:N0} blocks " +
            $"({written * (double)blockBytes / (1L << 30):F2} GiB) written then freed, queue depth {QueueDepth}, {rounds} rounds, in {root}");
        Console.WriteLine("| round | free by | free p50 µs | free p99 µs | free mean µs | open (scan) s | headers read | rewrite p50 µs | rewrite p99 µs | ranges zeroed | headers zeroed |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int round = 1; round <= rounds; round++)
        {
            // Alternate which way goes first, so neither always meets the disk right after the other's writes.
            bool[] ways = round % 2 == 1 ? [false, true] : [true, false];
            foreach (bool zeroRange in ways)
            {
                if (Round(root, slots, blockBytes, written, zeroRange, round) != 0)
                {
                    return 1;
                }
            }
        }

        return 0;
    }

    private static int Round(string root, int slots, int blockBytes, int written, bool zeroRange, int round)
    {
        string dir = Path.Combine(root, "kvt-freed-open-" + Guid.NewGuid().ToString("N"));
        var options = new FlashDeviceOptions
        {
            QueueDepth = QueueDepth,
            RecoveryVerificationBudget = Timeout.InfiniteTimeSpan,
            RefuseZeroRange = !zeroRange,
        };
        try
        {
            double[] frees = new double[written];
            FlashDeviceStatistics freedStats;
            using (var device = new FlashDevice(dir, slots, blockBytes, options))
            {
                Write(device, written, blockBytes);
                for (int slot = 0; slot < written; slot++)
                {
                    long start = Stopwatch.GetTimestamp();
                    device.Free(slot);
                    frees[slot] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }

                freedStats = device.GetStatistics();
            }

            var clock = Stopwatch.StartNew();
            double[] rewrites = new double[Math.Min(Rewrites, written)];
            long headersRead;
            double opened;
            using (var device = new FlashDevice(dir, slots, blockBytes, options))
            {
                if (device.Recover().Count != 0)
                {
                    Console.Error.WriteLine("a freed block came back");
                    return 1;
                }

                opened = clock.Elapsed.TotalSeconds;
                headersRead = device.GetStatistics().HeadersRead;
                byte[] payload = Payload(blockBytes, 0);
                for (int i = 0; i < rewrites.Length; i++)
                {
                    int slot = (int)((long)i * written / rewrites.Length); // spread over the freed slots
                    BitConverter.TryWriteBytes(payload, ~slot);
                    long start = Stopwatch.GetTimestamp();
                    device.Write(slot, new BlockKey((ulong)slot + 1, 0x2E), BlockKey.Empty, payload);
                    rewrites[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }
            }

            Array.Sort(frees);
            Array.Sort(rewrites);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {round} | {(zeroRange ? "zero range" : "header write")} | {Percentile(frees, 0.5):F1} | {Percentile(frees, 0.99):F1} | " +
                $"{frees.Average():F1} | {opened:F2} | {headersRead:N0} | {Percentile(rewrites, 0.5):F1} | {Percentile(rewrites, 0.99):F1} | " +
                $"{freedStats.RangesZeroed:N0} | {freedStats.HeadersZeroed:N0} |"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Write(FlashDevice device, int written, int blockBytes)
    {
        Parallel.For(0, written, new ParallelOptions { MaxDegreeOfParallelism = QueueDepth }, () => Payload(blockBytes, 7), (slot, _, local) =>
        {
            BitConverter.TryWriteBytes(local, slot); // distinct bytes per block
            device.Write(slot, new BlockKey((ulong)slot + 1, 0x0BE7), BlockKey.Empty, local);
            return local;
        }, _ => { });
    }

    private static byte[] Payload(int bytes, int seed)
    {
        var payload = new byte[bytes];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
