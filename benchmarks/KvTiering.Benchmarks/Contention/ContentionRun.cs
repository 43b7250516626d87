using System.Buffers.Binary;
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
/// [memory|flash|all]</c> (the last two pick scenarios; default all).
/// </remarks>
internal static class ContentionRun
{
    private const int HotBlocks = 8;

    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1.5;
        string sizes = args.Length > 1 ? args[1] : "all";
        string lowers = args.Length > 2 ? args[2] : "all";
        if (sizes is not ("64" or "2048" or "all") || lowers is not ("memory" or "flash" or "all"))
        {
            throw new ArgumentException($"contention [seconds] [64|2048|all] [memory|flash|all]: got '{sizes}' '{lowers}'.", nameof(args));
        }

        string root = Path.Combine(Path.GetTempPath(), "kvt-contention-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"# contention: {seconds:0.0} s per phase, {Environment.ProcessorCount} cores, {Environment.Version}");
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
                    RunScenario(blockKiB * 1024, flash ? dir : null, seconds);
                }
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void RunScenario(int blockBytes, string? flashDir, double seconds)
    {
        int top = blockBytes <= 65536 ? 512 : 32;
        int lower = top * 8;
        var layout = new KvLayout("bench", 1, 1, blockBytes / 16 / 2, 2, 16);
        var profile = new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0);
        var options = new KvStoreOptions { Layout = layout };
        options.Tiers.Add(new TierOptions(profile, top));
        options.Tiers.Add(new TierOptions(new TierProfile(flashDir is null ? "memory" : "flash",
            flashDir is null ? TierKind.Dram : TierKind.Flash, 3e9, 2e9, TimeSpan.Zero, 0, 0), lower)
        {
            Directory = flashDir,
            Policy = EvictionPolicy.Lru,
            WriteBehind = flashDir is not null, // demotions into flash off the put's path (issue #18; absent before it)
        });
        using var store = new TieredKvStore(options);
        var blocks = new Blocks(blockBytes);
        for (int i = 0; i < HotBlocks; i++)
        {
            store.Put(Blocks.Key(i), BlockKey.Empty, blocks.Fill(i));
            store.Pin(Blocks.Key(i));
        }

        string name = $"{blockBytes / 1024} KiB, {(flashDir is null ? "memory" : "flash")} lower tier";
        var mover = new Mover(store, blocks, lower);
        Series hitsAlone = Hits(store, blocks, seconds, null);
        Series hitsBusy = Hits(store, blocks, seconds, mover);
        Series putsAlone = mover.Alone(seconds);
        Series writerAlone = Writer(store, blocks, seconds, null, out string tailAlone);
        Series writerBusy = Writer(store, blocks, seconds, mover, out string tailBusy);
        Series? hitsPaced = null;
        Series? writerPaced = null;
        string? tailPaced = null;
        if (flashDir is not null)
        {
            // With a flash lower tier the write-behind worker is a third busy thread on a two-core machine; the paced
            // mover (half duty) leaves it a core's half, so no more threads are busy than there are cores.
            mover.Paced = true;
            hitsPaced = Hits(store, blocks, seconds, mover);
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
    }

    /// <summary>Thread A: hits on the pinned hot set, each checked, while <paramref name="mover"/> (if any) runs on a second thread.</summary>
    private static Series Hits(TieredKvStore store, Blocks blocks, double seconds, Mover? mover)
    {
        using var stop = mover?.Start();
        var series = new Series();
        var buffer = new byte[blocks.BlockBytes];
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int i = 0; Stopwatch.GetTimestamp() < end; i++)
        {
            int id = i % HotBlocks;
            long t0 = Stopwatch.GetTimestamp();
            bool hit = store.TryGet(Blocks.Key(id), buffer, out int written, out int tier);
            long t1 = Stopwatch.GetTimestamp();
            if (!hit || tier != 0)
            {
                throw new InvalidOperationException($"hot block {id} missed the top tier (hit {hit}, tier {tier})");
            }

            blocks.Check(id, buffer.AsSpan(0, written));
            series.Add(t1 - t0);
        }

        return series;
    }

    /// <summary>Thread C: puts of new blocks, alone or beside the mover's puts.</summary>
    private static Series Writer(TieredKvStore store, Blocks blocks, double seconds, Mover? mover, out string tail)
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
            store.Put(Blocks.Key(id), BlockKey.Empty, payload);
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

    /// <summary>A series of latencies in Stopwatch ticks.</summary>
    private sealed class Series
    {
        private readonly List<long> _ticks = new(1 << 16);
        private long _total;

        public void Add(long ticks)
        {
            _ticks.Add(ticks);
            _total += ticks;
        }

        public double Throughput => _ticks.Count / ((double)_total / Stopwatch.Frequency);

        public double P(double q)
        {
            if (_ticks.Count == 0)
            {
                return double.NaN;
            }

            _ticks.Sort();
            return _ticks[Math.Min(_ticks.Count - 1, (int)(q * _ticks.Count))] * 1e6 / Stopwatch.Frequency;
        }

        public void Print(string what) =>
            Console.WriteLine($"| {what} | {_ticks.Count} | {Throughput:0} | {P(0.5):0.0} | {P(0.99):0.0} | {P(0.999):0.0} |");
    }

    /// <summary>Thread B: puts new blocks (their victims demote) and every other operation reads an older one back (it promotes).</summary>
    private sealed class Mover
    {
        private readonly TieredKvStore _store;
        private readonly Blocks _blocks;
        private readonly int _window;
        private readonly byte[] _buffer;
        private readonly byte[] _payload;
        private int _next = 1_000_000;
        private volatile bool _stop;
        private Thread? _thread;

        public Mover(TieredKvStore store, Blocks blocks, int lower)
        {
            _store = store;
            _blocks = blocks;
            _window = lower / 2;
            _buffer = new byte[blocks.BlockBytes];
            _payload = new byte[blocks.BlockBytes];
        }

        public long Verified { get; private set; }

        /// <summary>Runs steps for a millisecond, then sleeps one (half duty), instead of at full speed.</summary>
        public bool Paced { get; set; }

        public long Mismatches { get; private set; }

        public IDisposable Start()
        {
            _stop = false;
            _thread = new Thread(() =>
            {
                var rng = new Random(7);
                bool paced = Paced;
                long on = Stopwatch.GetTimestamp();
                while (!_stop)
                {
                    Step(rng, null);
                    if (paced && Stopwatch.GetTimestamp() - on >= Stopwatch.Frequency / 1000)
                    {
                        Thread.Sleep(1);
                        on = Stopwatch.GetTimestamp();
                    }
                }
            });
            _thread.Start();
            return new Stopper(this);
        }

        public Series Alone(double seconds)
        {
            var series = new Series();
            var rng = new Random(7);
            long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                Step(rng, series);
            }

            return series;
        }

        private void Step(Random rng, Series? puts)
        {
            int id = _next++;
            byte[] payload = _blocks.Fill(id, _payload);
            long t0 = Stopwatch.GetTimestamp();
            _store.Put(Blocks.Key(id), BlockKey.Empty, payload);
            puts?.Add(Stopwatch.GetTimestamp() - t0);
            int back = id - 1 - rng.Next(Math.Min(_window, id - 1_000_000 + 1));
            if (back >= 1_000_000 && _store.TryGet(Blocks.Key(back), _buffer, out int written))
            {
                if (Blocks.Matches(back, _blocks.Base, _buffer.AsSpan(0, written)))
                {
                    Verified++;
                }
                else
                {
                    Mismatches++;
                }
            }
        }

        private sealed class Stopper(Mover mover) : IDisposable
        {
            public void Dispose()
            {
                mover._stop = true;
                mover._thread!.Join();
            }
        }
    }

    /// <summary>Payloads: one random block with the block's id stamped into its first and last 8 bytes.</summary>
    private sealed class Blocks
    {
        private int _writerNext = 500_000;

        public Blocks(int blockBytes)
        {
            BlockBytes = blockBytes;
            Base = new byte[blockBytes];
            new Random(3).NextBytes(Base);
        }

        public int BlockBytes { get; }

        public byte[] Base { get; }

        public long Mismatches { get; private set; }

        public static BlockKey Key(int id) => new((ulong)id * 0x9E3779B97F4A7C15UL + 1, (ulong)id);

        public int NextWriterId() => _writerNext++;

        /// <summary>The payload of <paramref name="id"/>, written into <paramref name="into"/> (the caller's own buffer) or a new array.</summary>
        public byte[] Fill(int id, byte[]? into = null)
        {
            byte[] payload = into ?? new byte[BlockBytes];
            Base.CopyTo(payload, 0);
            BinaryPrimitives.WriteInt64LittleEndian(payload, id);
            BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(BlockBytes - 8), id);
            return payload;
        }

        public void Check(int id, ReadOnlySpan<byte> bytes)
        {
            if (!Matches(id, Base, bytes))
            {
                Mismatches++;
            }
        }

        public static bool Matches(int id, ReadOnlySpan<byte> baseBytes, ReadOnlySpan<byte> bytes) =>
            bytes.Length == baseBytes.Length
            && BinaryPrimitives.ReadInt64LittleEndian(bytes) == id
            && BinaryPrimitives.ReadInt64LittleEndian(bytes[^8..]) == id
            && bytes[8..^8].SequenceEqual(baseBytes[8..^8]);
    }
}
