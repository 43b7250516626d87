using System.Diagnostics;
using System.Globalization;
using Garnet;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Redis;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// What a lookup of a kept block costs while its remote server does not answer (session 25 keeps such blocks instead of
/// dropping them): Garnet embedded behind a <see cref="DelayRelay"/> whose delay is set far past the tier's
/// <see cref="RedisTierOptions.OperationTimeout"/> (200 ms, as in the soak), so every call to the server times out, as
/// on a hung or overloaded server. Measured: the first lookup (outside the back-off), lookups inside the back-off, and
/// then several threads looking up kept blocks (one a millisecond each) for a while, across back-off periods, beside one thread reading top-tier
/// blocks (whose latency shows whether a lookup on the remote holds up the others).
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- remote-unreachable [seconds] [threads]</c>.</remarks>
internal static class RemoteUnreachableRun
{
    private const int TopBlocks = 64;
    private const int Blocks = 512;
    private static readonly KvLayout Layout = new("remote-unreachable", 1, 1, 1024, 2, 1); // 4 KiB blocks, as the soak's

    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        int port = RemoteBenchmarks.FreePort();
        using var garnet = new GarnetServer(["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--memory", "256m", "--index", "16m"]);
        garnet.Start();
        using var relay = new DelayRelay(port);
        var redis = new RedisTierOptions
        {
            Configuration = $"127.0.0.1:{relay.Port}",
            Namespace = "unreachable" + Guid.NewGuid().ToString("N"),
            OperationTimeout = TimeSpan.FromMilliseconds(200),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        using ConnectionMultiplexer connection = RedisTier.Connect(redis);
        RedisBlockDevice? device = null;
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, TopBlocks) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(RedisTier.Create(connection, redis, 4 * Blocks, d => device = d));
        using var store = new TieredKvStore(options);
        var payload = new byte[Layout.BytesPerBlock];
        var keys = new BlockKey[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            keys[i] = new BlockKey((ulong)i + 1, 0xDEAD);
            payload[0] = (byte)i;
            store.Put(keys[i], BlockKey.Empty, payload);
        }

        BlockKey[] below = keys.Where(k => store.TierOf(k) == 1).ToArray();
        BlockKey[] top = keys.Where(k => store.TierOf(k) == 0).ToArray();
        Console.WriteLine($"remote-unreachable: {below.Length} blocks on the remote tier, {top.Length} on top; OperationTimeout 200 ms, Backoff 1 s");

        relay.DelayMilliseconds = 60_000; // the server stops answering: every call times out
        var buffer = new byte[Layout.BytesPerBlock];
        long t0 = Stopwatch.GetTimestamp();
        bool hit = store.TryGet(below[0], buffer, out _);
        double first = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first lookup of a kept block, outside the back-off: {first:F1} ms (hit {hit}, tier now {store.TierOf(below[0])})"));

        var inside = new List<double>();
        for (int i = 0; i < 1000 && device!.IsAvailable == false; i++)
        {
            long s = Stopwatch.GetTimestamp();
            store.TryGet(below[1 + i % (below.Length - 1)], buffer, out _);
            inside.Add(Stopwatch.GetElapsedTime(s).TotalMicroseconds);
        }

        inside.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"inside the back-off: {inside.Count} lookups, median {inside[inside.Count / 2]:F1} µs, max {inside[^1]:F1} µs"));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var lookups = new List<double>[threads];
        var slowOnes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long began = Stopwatch.GetTimestamp();
        var topReads = new List<double>();
        Task[] workers = Enumerable.Range(0, threads).Select(w => Task.Factory.StartNew(() =>
        {
            var mine = lookups[w] = [];
            var b = new byte[Layout.BytesPerBlock];
            var rng = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                long s = Stopwatch.GetTimestamp();
                store.TryGet(below[rng.Next(below.Length)], b, out _);
                double ms = Stopwatch.GetElapsedTime(s).TotalMilliseconds;
                mine.Add(ms);
                if (ms >= 100)
                {
                    slowOnes.Enqueue(string.Create(CultureInfo.InvariantCulture,
                        $"thread {w} at {Stopwatch.GetElapsedTime(began, s).TotalSeconds:F2} s: {ms:F0} ms"));
                }

                Thread.Sleep(1); // a request's pace, not a busy loop: no more busy threads than cores
            }
        }, TaskCreationOptions.LongRunning)).Append(Task.Factory.StartNew(() =>
        {
            var b = new byte[Layout.BytesPerBlock];
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                long s = Stopwatch.GetTimestamp();
                store.TryGet(top[i++ % top.Length], b, out _);
                topReads.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(workers);

        double[] all = lookups.SelectMany(l => l).Order().ToArray();
        double[] slow = all.Where(ms => ms >= 100).ToArray();
        topReads.Sort();
        RedisTierStatistics stats = device!.GetStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{threads} threads, {seconds} s: {all.Length:N0} lookups of kept blocks, p50 {all[all.Length / 2] * 1000:F1} µs, " +
            $"p99 {all[(int)(all.Length * 0.99)] * 1000:F1} µs, max {all[^1]:F1} ms; {slow.Length} waited >= 100 ms " +
            $"({slow.Sum() / 1000:F2} s in all); device faults {stats.Faults}, skipped {stats.SkippedWhileUnavailable:N0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"top-tier reads beside them: {topReads.Count:N0}, max {topReads[^1]:F2} ms"));
        Console.WriteLine("lookups that waited >= 100 ms: " + string.Join("; ", slowOnes));
        relay.DelayMilliseconds = 0;
        return 0;
    }
}
