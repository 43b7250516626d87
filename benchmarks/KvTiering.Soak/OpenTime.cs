using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Soak;

/// <summary>
/// Measures how long opening a large flash file takes: the header scan over every slot, and the payload verification
/// of the blocks found (issue #23's bound on open time). Writes <c>written</c> GiB of blocks into a sparse file of
/// <c>file</c> GiB, closes it, reopens it with an unlimited verification budget, and reports both phases; then opens
/// it with the default budget, as a device and as a store, and reports when the background verification has every block back.
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
                    $"total {total:F2} s; lost {stats.LostWrites}, unverified {stats.Unverified}; {stats.HeadersRead:N0} headers read (the rest in holes)"));
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
            }

            return StoreOpen(dir, slots, blockBytes, queueDepth, written);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A store over the file with the default budget: the time its constructor takes (the bounded open), and the time
    /// until the background verification has indexed every block the budget left out.
    /// </summary>
    private static int StoreOpen(string dir, int slots, int blockBytes, int queueDepth, int written)
    {
        FlashDevice? device = null;
        var options = new KvStoreOptions { Layout = new KvLayout("open-time", 1, 1, 256, 2, blockBytes / 1024) };
        options.Tiers.Add(new TierOptions(TierProfiles.Flash, slots)
        {
            DeviceFactory = (count, bytes) => device = new FlashDevice(dir, count, bytes, new FlashDeviceOptions { QueueDepth = queueDepth }),
        });
        var clock = Stopwatch.StartNew();
        using var store = new TieredKvStore(options);
        double opened = clock.Elapsed.TotalSeconds;
        int atOpen = store.Count;
        while (device!.GetStatistics().PendingVerification > 0 && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            Thread.Sleep(10);
        }

        double back = clock.Elapsed.TotalSeconds;
        FlashDeviceStatistics stats = device.GetStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"store, default budget: constructor {opened:F2} s with {atOpen:N0} blocks indexed; all {store.Count:N0} indexed at {back:F2} s " +
            $"({stats.VerifiedAfterOpen:N0} verified in the background in {back - opened:F2} s, " +
            $"{stats.VerifiedAfterOpen * (double)blockBytes / (1L << 30) / Math.Max(back - opened, 1e-9):F2} GiB/s); lost {stats.LostWrites}"));
        return store.Count == written ? 0 : 1;
    }
}
