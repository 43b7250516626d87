using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Soak;

/// <summary>
/// Measures how long opening a large flash file takes: the header scan over every slot, and the payload verification
/// of the blocks found (issue #23's bound on open time). Writes <c>written</c> GiB of blocks into a sparse file of
/// <c>file</c> GiB, closes it, reopens it with an unlimited verification budget, and reports both phases.
/// </summary>
/// <remarks>
/// Usage: <c>open-time &lt;directory&gt; &lt;file GiB&gt; &lt;written GiB&gt; [block KiB=64] [queue depth=8]</c>. The
/// directory must be on the disk to measure (not tmpfs); the file is deleted afterwards.
/// </remarks>
internal static class OpenTime
{
    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: open-time <directory> <file GiB> <written GiB> [block KiB=64] [queue depth=8]");
            return 2;
        }

        string dir = Path.Combine(args[0], "kvt-open-time-" + Guid.NewGuid().ToString("N"));
        double fileGiB = double.Parse(args[1], CultureInfo.InvariantCulture);
        double writtenGiB = double.Parse(args[2], CultureInfo.InvariantCulture);
        int blockBytes = (args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 64) * 1024;
        int queueDepth = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 8;
        int slots = (int)(fileGiB * (1L << 30) / (blockBytes + 4096L));
        int written = Math.Min(slots, (int)(writtenGiB * (1L << 30) / blockBytes));
        try
        {
            var options = new FlashDeviceOptions { QueueDepth = queueDepth, RecoveryVerificationBudget = Timeout.InfiniteTimeSpan };
            var clock = Stopwatch.StartNew();
            using (var device = new FlashDevice(dir, slots, blockBytes, options))
            {
                Console.WriteLine($"file {device.FileLength / (double)(1L << 30):F1} GiB, {slots:N0} slots of {blockBytes / 1024} KiB, " +
                    $"direct I/O {device.DirectIO}, queue depth {queueDepth}; writing {written:N0} blocks ({written * (double)blockBytes / (1L << 30):F1} GiB)");
                var payload = new byte[blockBytes];
                new Random(7).NextBytes(payload);
                Parallel.For(0, written, new ParallelOptions { MaxDegreeOfParallelism = queueDepth }, () => (byte[])payload.Clone(), (slot, _, local) =>
                {
                    BitConverter.TryWriteBytes(local, slot); // distinct bytes per block
                    device.Write(slot, new BlockKey((ulong)slot + 1, 0x0BE7), BlockKey.Empty, local);
                    return local;
                }, _ => { });
            }

            Console.WriteLine($"written in {clock.Elapsed.TotalSeconds:F1} s");
            clock.Restart();
            using (var device = new FlashDevice(dir, slots, blockBytes, options))
            {
                double opened = clock.Elapsed.TotalMilliseconds;
                IReadOnlyList<RecoveredBlock> blocks = device.Recover();
                double total = clock.Elapsed.TotalSeconds;
                FlashDeviceStatistics stats = device.GetStatistics();
                double verify = stats.VerificationTime.TotalSeconds;
                double scan = total - verify - (opened / 1000);
                double verifiedGiB = blocks.Count * (double)blockBytes / (1L << 30);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"open {opened:F0} ms; header scan {scan:F2} s ({slots / Math.Max(scan, 1e-9):N0} headers/s); " +
                    $"payload verification {verify:F2} s for {blocks.Count:N0} blocks ({verifiedGiB / Math.Max(verify, 1e-9):F2} GiB/s); " +
                    $"total {total:F2} s; lost {stats.LostWrites}, unverified {stats.Unverified}"));
                if (blocks.Count != written)
                {
                    return 1;
                }
            }

            // Again with the default budget: the open is bounded, and what it had no time for is left out.
            clock.Restart();
            using (var device = new FlashDevice(dir, slots, blockBytes, new FlashDeviceOptions { QueueDepth = queueDepth }))
            {
                int recovered = device.Recover().Count;
                FlashDeviceStatistics stats = device.GetStatistics();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"default budget ({new FlashDeviceOptions().RecoveryVerificationBudget.TotalSeconds:F0} s): total {clock.Elapsed.TotalSeconds:F2} s, " +
                    $"verification {stats.VerificationTime.TotalSeconds:F2} s, recovered {recovered:N0}, unverified {stats.Unverified:N0}"));
                return 0;
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
