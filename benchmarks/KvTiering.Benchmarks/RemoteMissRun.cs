using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Redis;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// What a remote miss in flight costs the store's other threads (probe29): a store with a DRAM top tier over a remote
/// tier (Garnet embedded in the process, behind a <see cref="DelayRelay"/> adding <c>delay</c> ms to every reply). One
/// thread does top-tier hits, with a put of a resident block (LRU: a put that takes the lock) every eighth operation,
/// timing each; in the baseline it runs alone, in the measured case one other thread meanwhile looks up keys the store
/// does not index, one after another, each a fetch from the remote tier that misses there too. Besides percentiles it
/// counts the operations that took 1 ms or more and the time they took (a stall behind a round trip is rare per
/// operation but long, and shows in the count of operations done). Two threads at most
/// (this machine has 2 cores), and the miss thread is waiting on the network nearly all the time. Before probe29 each
/// such fetch held the store's lock, and left its seqlock odd, for the whole round trip.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- remote-miss [seconds] [delay ms] [rounds]</c>.</remarks>
internal static class RemoteMissRun
{
    private const int TopBlocks = 64;
    private static readonly KvLayout Layout = new("remote-miss", 1, 1, 1024, 2, 1); // 4 KiB blocks

    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int delay = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        using var remote = new RelayedGarnet();
        RedisTierOptions redis = remote.Options("remote-miss");
        using ConnectionMultiplexer connection = RedisTier.Connect(redis);
        var options = new KvStoreOptions { Layout = Layout };
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, TopBlocks) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(RedisTier.Create(connection, redis, 4 * TopBlocks));
        using var store = new TieredKvStore(options);
        var keys = new BlockKey[TopBlocks / 2];
        var payload = new byte[Layout.BytesPerBlock];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = new BlockKey((ulong)i + 1, 0xBEEF);
            payload[0] = (byte)i;
            store.Put(keys[i], BlockKey.Empty, payload);
        }

        remote.Relay.DelayMilliseconds = delay;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"remote-miss: {keys.Length} blocks in the DRAM top tier (LRU), remote tier behind a {delay} ms relay, {seconds} s per case, {rounds} rounds"));
        Console.WriteLine("| Case | round | hits | hit p50 µs | hit p99 µs | hit max ms | puts | put p50 µs | put p99 µs | put max ms | ops ≥ 1 ms (s in all) | remote misses (mean ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int r = 0; r < rounds; r++)
        {
            foreach (bool misses in r % 2 == 0 ? (bool[])[false, true] : [true, false])
            {
                Measure(store, keys, seconds, misses, r + 1);
            }
        }

        remote.Relay.DelayMilliseconds = 0;
        return 0;
    }

    private static void Measure(TieredKvStore store, BlockKey[] keys, double seconds, bool misses, int round)
    {
        using var stop = new CancellationTokenSource();
        int remoteMisses = 0;
        double missMs = 0;
        Thread? missThread = null;
        if (misses)
        {
            missThread = new Thread(() =>
            {
                var buffer = new byte[Layout.BytesPerBlock];
                ulong next = (ulong)Environment.TickCount64 << 20;
                while (!stop.IsCancellationRequested)
                {
                    long s = Stopwatch.GetTimestamp();
                    store.TryGet(new BlockKey(++next, 0xF00D), buffer, out _); // indexed nowhere: a remote fetch, absent there too
                    missMs += Stopwatch.GetElapsedTime(s).TotalMilliseconds;
                    remoteMisses++;
                }
            }) { IsBackground = true };
            missThread.Start();
            Thread.Sleep(100); // the first fetch in flight
        }

        var hits = new List<long>(1 << 24); // room for every sample: no list growth (a 128 MiB copy) inside the timed loop
        var puts = new List<long>(1 << 22);
        var into = new byte[Layout.BytesPerBlock];
        var payload = new byte[Layout.BytesPerBlock];
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int i = 0; Stopwatch.GetTimestamp() < end; i++)
        {
            BlockKey key = keys[i % keys.Length];
            long s = Stopwatch.GetTimestamp();
            if (i % 8 == 7)
            {
                payload[0] = (byte)(i % keys.Length);
                store.Put(key, BlockKey.Empty, payload); // resident: AlreadyPresent, under the lock (LRU)
                puts.Add(Stopwatch.GetTimestamp() - s);
            }
            else
            {
                store.TryGet(key, into, out _);
                hits.Add(Stopwatch.GetTimestamp() - s);
            }
        }

        stop.Cancel();
        missThread?.Join();
        long ms = Stopwatch.Frequency / 1000;
        long[] stalls = [.. hits.Where(t => t >= ms), .. puts.Where(t => t >= ms)];
        string stalled = string.Create(CultureInfo.InvariantCulture, $"{stalls.Length:N0} ({stalls.Sum() / (double)Stopwatch.Frequency:F2})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(misses ? "remote misses in flight" : "baseline: no remote miss")} | {round} | {hits.Count:N0} | {Us(hits, 0.5):F2} | {Us(hits, 0.99):F2} | {Us(hits, 1) / 1000:F2} | {puts.Count:N0} | {Us(puts, 0.5):F2} | {Us(puts, 0.99):F2} | {Us(puts, 1) / 1000:F2} | {stalled} | {(misses ? string.Create(CultureInfo.InvariantCulture, $"{remoteMisses:N0} ({missMs / Math.Max(1, remoteMisses):F1})") : "0")} |"));
    }

    /// <summary>The <paramref name="quantile"/> of <paramref name="ticks"/>, in microseconds (sorts the list).</summary>
    private static double Us(List<long> ticks, double quantile)
    {
        ticks.Sort();
        int i = Math.Min(ticks.Count - 1, (int)(ticks.Count * quantile));
        return ticks[i] * 1e6 / Stopwatch.Frequency;
    }
}
