using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;
using KvTiering.Blocks;
using KvTiering.Redis;
using KvTiering.Simulation.Traces;
using KvTiering.Soak;
using KvTiering.Store;
using KvTiering.Tiers;
using Trace = KvTiering.Simulation.Traces.Trace;

// Soak: a replayed Mooncake trace against a DRAM + flash + Garnet store from several threads, with faults injected
// (Garnet stopped and restarted, flash bytes overwritten, the flash disk filled), reporting per interval: operations,
// wrong bytes (must be 0), the flash tier's failed writes, failed reads by cause (checksum, lost), set-aside slots,
// residents and hits, the remote tier's lost and unreachable reads,
// memory, and request latency percentiles. Usage (docs/reliability.md):
//   dotnet run -c Release --project benchmarks/KvTiering.Soak -- [seconds=60] [threads=4] [trace path]
// and the flash open-time measurement:
//   dotnet run -c Release --project benchmarks/KvTiering.Soak -- open-time <directory> <file GiB> <written GiB> [block KiB] [queue depth]
if (args.Length > 0 && args[0] == "open-time")
{
    return KvTiering.Soak.OpenTime.Run(args[1..]);
}

// The faults write into the flash file behind the store's back; .NET's own advisory lock on the soak's opens would
// conflict with the device's exclusive flock, so this process's FileStreams take none (the device still locks).
AppContext.SetSwitch("System.IO.DisableFileLocking", true);
int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
string tracePath = args.Length > 2 ? args[2] : "../shared/traces/mooncake/conversation_trace.jsonl";
const int ReportSeconds = 10;

Trace trace = TraceLoader.Load(tracePath, TraceFormat.Mooncake);
var layout = new KvLayout("soak", 1, 1, 1024, 2, 1); // 4 KiB blocks
string soakDir = Path.Combine(Path.GetTempPath(), "kvt-soak-" + Guid.NewGuid().ToString("N"));
string flashDir = Path.Combine(soakDir, "flash");
// The disk-full fault needs a small file system of its own: a 32 MiB tmpfs (root only). The flash file (2,048 slots
// of 8 KiB, sparse) fits in it; filling the rest makes every write to a slot not yet on disk fail with ENOSPC.
string? diskFull = DiskFull.TryMount(soakDir);
int port = FreePort();
GarnetServer? garnet = StartGarnet(port);
var redis = new RedisTierOptions
{
    Configuration = $"127.0.0.1:{port}",
    Namespace = "soak" + Guid.NewGuid().ToString("N"),
    OperationTimeout = TimeSpan.FromMilliseconds(200),
    Backoff = TimeSpan.FromMilliseconds(200),
    MaxBackoff = TimeSpan.FromSeconds(2),
};
using StackExchange.Redis.ConnectionMultiplexer connection = RedisTier.Connect(redis);
var options = new KvStoreOptions { Layout = layout };
options.Tiers.Add(new TierOptions(TierProfiles.Dram, 512));
options.Tiers.Add(new TierOptions(TierProfiles.Flash, 2048) { Directory = flashDir });
RedisBlockDevice? device = null;
TierOptions remote = RedisTier.Create(connection, redis, 16_384, d => device = d);
remote.AuthenticationKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 17 + 3)).ToArray();
options.Tiers.Add(remote);
using var store = new TieredKvStore(options);

long ops = 0, hits = 0, wrongBytes = 0, nextRequest = 0;
var latencies = new System.Collections.Concurrent.ConcurrentBag<long>();
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
long startMemory = GC.GetTotalMemory(forceFullCollection: true);
Console.WriteLine($"soak: {trace.RequestCount:N0} requests of {tracePath}, {threads} threads, {seconds} s, block {store.BlockBytes} B");
Console.WriteLine(diskFull is null ? "disk-full fault: tmpfs of 32 MiB mounted" : $"disk-full fault: not injected ({diskFull})");
Console.WriteLine("t_s,ops,hits,wrong_bytes,heap_mib,working_set_mib,p50_us,p99_us,p999_us,redis_faults,redis_auth_failures," +
    "redis_lost_blocks,redis_unreachable_reads,redis_unreachable_fetches,flash_write_failures,flash_checksum_failures,flash_lost_blocks,flash_set_aside," +
    "flash_resident,flash_hits,redis_hits,fault");

Task[] workers = Enumerable.Range(0, threads).Select(_ => Task.Run(() =>
{
    var buffer = new byte[store.BlockBytes];
    var expected = new byte[store.BlockBytes];
    var keys = new BlockKey[256];
    while (!stop.IsCancellationRequested)
    {
        int r = (int)(Interlocked.Increment(ref nextRequest) % trace.RequestCount);
        ReadOnlySpan<int> ids = trace.Blocks(r);
        int n = Math.Min(ids.Length, keys.Length);
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            keys[i] = new BlockKey((ulong)ids[i] + 1, 0x50A4);
        }

        int matched = store.MatchPrefix(keys.AsSpan(0, n)).Blocks;
        for (int i = 0; i < n; i++)
        {
            Fill(expected, ids[i]);
            if (store.TryGet(keys[i], buffer, out int written))
            {
                Interlocked.Increment(ref hits);
                if (!buffer.AsSpan(0, written).SequenceEqual(expected))
                {
                    Interlocked.Add(ref wrongBytes, written);
                }
            }
            else
            {
                try
                {
                    store.Put(keys[i], i == 0 ? BlockKey.Empty : keys[i - 1], expected);
                }
                catch (IOException)
                {
                    // A flash write failure is counted by the store; the soak goes on.
                }
            }
        }

        _ = matched;
        latencies.Add(Stopwatch.GetElapsedTime(started).Ticks / 10);
        Interlocked.Increment(ref ops);
    }
})).ToArray();

var clock = Stopwatch.StartNew();
int interval = 0;
string fault = "none";
while (!stop.IsCancellationRequested)
{
    try
    {
        await Task.Delay(TimeSpan.FromSeconds(ReportSeconds), stop.Token).ConfigureAwait(false);
    }
    catch (OperationCanceledException)
    {
    }

    Report();
    interval++;
    // Faults, in turn: Garnet down (restarted at the next report, empty, as a real restart), a flash slot overwritten,
    // the flash disk filled (freed at the next report).
    if (DiskFull.Filled)
    {
        DiskFull.Free(soakDir);
        fault = "disk freed";
    }
    else if (garnet is null)
    {
        garnet = StartGarnet(port);
        fault = "garnet restarted";
    }
    else if (interval % 3 == 1)
    {
        garnet.Dispose();
        garnet = null;
        fault = "garnet stopped";
    }
    else if (interval % 3 == 2)
    {
        CorruptFlash(flashDir);
        fault = "flash bytes overwritten";
    }
    else if (diskFull is null)
    {
        DiskFull.Fill(soakDir, flashDir);
        fault = "disk filled";
    }
    else
    {
        fault = "none";
    }
}

await Task.WhenAll(workers).ConfigureAwait(false);
Report();
Console.WriteLine($"total: {Interlocked.Read(ref ops):N0} requests, {Interlocked.Read(ref hits):N0} block hits, wrong bytes {Interlocked.Read(ref wrongBytes)}, " +
    $"heap growth {(GC.GetTotalMemory(true) - startMemory) / 1048576.0:F1} MiB");
store.Dispose();
garnet?.Dispose();
DiskFull.Unmount(soakDir, mounted: diskFull is null);
Directory.Delete(soakDir, recursive: true);
return wrongBytes == 0 ? 0 : 1;

void Report()
{
    long[] sample = [.. latencies];
    latencies.Clear();
    Array.Sort(sample);
    RedisTierStatistics redisStats = device!.GetStatistics();
    StoreStatistics storeStats = store.GetStatistics();
    TierStatistics flashStats = storeStats.Tiers[1];
    TierStatistics remoteStats = storeStats.Tiers[2];
    Console.WriteLine(string.Join(',',
        clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture), Interlocked.Read(ref ops), Interlocked.Read(ref hits),
        Interlocked.Read(ref wrongBytes), (GC.GetTotalMemory(false) / 1048576.0).ToString("F1", CultureInfo.InvariantCulture),
        (Environment.WorkingSet / 1048576.0).ToString("F1", CultureInfo.InvariantCulture),
        Percentile(sample, 0.5), Percentile(sample, 0.99), Percentile(sample, 0.999), redisStats.Faults,
        redisStats.AuthenticationFailures, remoteStats.LostBlocks, remoteStats.UnreachableReads,
        remoteStats.UnreachableFetches, flashStats.WriteFailures,
        flashStats.ChecksumFailures, flashStats.LostBlocks, flashStats.SetAsideSlots,
        flashStats.ResidentBlocks, flashStats.Hits, remoteStats.Hits, fault));
}

static long Percentile(long[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

static void Fill(byte[] block, int id)
{
    var rng = new Random(id);
    rng.NextBytes(block.AsSpan(0, 64));
    for (int o = 64; o < block.Length; o += 64)
    {
        block.AsSpan(0, 64).CopyTo(block.AsSpan(o));
    }
}

static void CorruptFlash(string dir)
{
    var rng = new Random();
    foreach (string file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
    {
        var info = new FileInfo(file);
        if (info.Length < 1 << 20)
        {
            continue; // leave the superblock-sized files alone: this fault is a damaged slot, not a damaged file
        }

        using FileStream stream = File.Open(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var junk = new byte[4096];
        for (int i = 0; i < 8; i++)
        {
            rng.NextBytes(junk);
            stream.Position = 65536 + rng.NextInt64(info.Length - 65536 - junk.Length);
            stream.Write(junk);
        }
    }
}

static GarnetServer StartGarnet(int port)
{
    var server = new GarnetServer(["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
        "--memory", "256m", "--index", "16m"]);
    server.Start();
    return server;
}

static int FreePort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
