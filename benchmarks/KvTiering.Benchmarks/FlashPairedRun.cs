using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace KvTiering.Benchmarks;

/// <summary>
/// The <see cref="FlashBenchmarks"/> rows measured interleaved: every round runs each row once (8 operations), in an
/// order that rotates from round to round, and the table reports each row's median per operation. BenchmarkDotNet
/// runs one row after another, so on a shared disk whose speed drifts by tens of percent within a minute (the VM disk
/// these numbers were taken on) its ratios carry the drift; here raw and device see the same moments of the disk.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- flash-paired [rounds]</c>.</remarks>
internal static class FlashPairedRun
{
    public static void Run(int rounds)
    {
        Console.WriteLine("| Block | QD | row | median µs/op | p10–p90 µs/op | mean µs/op | throughput vs raw (medians) | (means) |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (int blockBytes in (int[])[256 * 1024, 2 * 1024 * 1024])
        {
            foreach (int depth in (int[])[1, 8])
            {
                // Raw rows and device rows get a file each (same file system), so a raw write, which puts payload
                // bytes where the device keeps a header, never turns a device read into a miss.
                var raw = new FlashBenchmarks { BlockBytes = blockBytes, QueueDepth = depth };
                var device = new FlashBenchmarks { BlockBytes = blockBytes, QueueDepth = depth };
                raw.Setup();
                device.Setup();
                try
                {
                    Measure(raw, device, blockBytes, depth, rounds);
                }
                finally
                {
                    raw.Cleanup();
                    device.Cleanup();
                }
            }
        }
    }

    private static unsafe void Measure(FlashBenchmarks bench, FlashBenchmarks device, int blockBytes, int depth, int rounds)
    {
        // The raw call moving the bytes the device moves: header page and payload, one aligned I/O per block.
        int ioBytes = blockBytes + 4096;
        var io = new byte*[8];
        for (int i = 0; i < io.Length; i++)
        {
            io[i] = (byte*)NativeMemory.AlignedAlloc((nuint)ioBytes, 4096);
            new Span<byte>(io[i], ioBytes).Clear();
        }

        try
        {
            (string Name, Action Call)[] rows =
            [
                ("RawRead", bench.RawRead), ("RawReadVerified", bench.RawReadVerified), ("FlashRead", device.FlashRead),
                ("RawReadIoBytes", () => bench.RunRow((b, i, slot) =>
                    RandomAccess.Read(b.Device.Handle, new Span<byte>(io[i], ioBytes), b.Device.HeaderOffset(slot)))),
                ("RawWrite", bench.RawWrite), ("RawWriteChecksummed", bench.RawWriteChecksummed), ("FlashWrite", device.FlashWrite),
                ("RawWriteIoBytes", () => bench.RunRow((b, i, slot) =>
                {
                    RandomAccess.Write(b.Device.Handle, new ReadOnlySpan<byte>(io[i], ioBytes), b.Device.HeaderOffset(slot));
                    return 0;
                })),
            ];
            Measure(rows, blockBytes, depth, rounds);
        }
        finally
        {
            for (int i = 0; i < io.Length; i++)
            {
                NativeMemory.AlignedFree(io[i]);
            }
        }
    }

    private static void Measure((string Name, Action Call)[] rows, int blockBytes, int depth, int rounds)
    {
        var samples = new double[rows.Length][];
        for (int i = 0; i < rows.Length; i++)
        {
            samples[i] = new double[rounds];
            rows[i].Call(); // warm up: JIT, buffers, the pool's pages
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int k = 0; k < rows.Length; k++)
            {
                int i = (k + r) % rows.Length;
                long start = Stopwatch.GetTimestamp();
                rows[i].Call();
                samples[i][r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / 8; // 8 operations per call
            }
        }

        double rawRead = Median(samples[0]);
        double rawWrite = Median(samples[4]);
        double rawReadMean = samples[0].Average();
        double rawWriteMean = samples[4].Average();
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Sort(samples[i]);
            double median = Median(samples[i]);
            double raw = i < 4 ? rawRead : rawWrite;
            double rawMean = i < 4 ? rawReadMean : rawWriteMean;
            double mean = samples[i].Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {blockBytes / 1024} KiB | {depth} | {rows[i].Name} | {median:F1} | {samples[i][rounds / 10]:F1}–{samples[i][rounds * 9 / 10]:F1} | {mean:F1} | {raw / median:F2}× | {rawMean / mean:F2}× |"));
        }
    }

    private static double Median(double[] values)
    {
        var copy = (double[])values.Clone();
        Array.Sort(copy);
        return copy[copy.Length / 2];
    }
}
