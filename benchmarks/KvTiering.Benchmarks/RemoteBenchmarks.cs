using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Garnet;
using KvTiering.Blocks;
using KvTiering.Redis;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// The remote tier's get, put and prefix match against the baseline measured in the same run on the same server:
/// <c>RawRedis</c>, StackExchange.Redis GET (leased, copied into the same buffer) and SET of the same bytes, and a
/// pipelined EXISTS of the same keys. The difference is the tier's own cost: the header, the checksums and the
/// verification. The server is a Garnet embedded in the benchmark process on 127.0.0.1, or the one named by the
/// <c>KVT_REDIS</c> environment variable (a StackExchange.Redis configuration string).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RemoteBenchmarks
{
    private const int Blocks = 16;
    private const int PrefixBlocks = 32;
    private static readonly TimeSpan Expiry = TimeSpan.FromHours(1);
    private GarnetServer? _garnet;
    private ConnectionMultiplexer _connection = null!;
    private IDatabase _database = null!;
    private RedisBlockDevice _device = null!;
    private BlockKey[] _keys = null!;
    private RedisKey[] _rawKeys = null!;
    private RedisKey[] _prefixRawKeys = null!;
    private BlockKey[] _prefix = null!;
    private byte[] _payload = null!;
    private byte[] _buffer = null!;
    private int _next;

    [Params(64 * 1024, 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string? configuration = Environment.GetEnvironmentVariable("KVT_REDIS");
        if (string.IsNullOrWhiteSpace(configuration))
        {
            int port = FreePort();
            _garnet = new GarnetServer(["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--memory", "512m", "--index", "16m"]);
            _garnet.Start();
            configuration = $"127.0.0.1:{port}";
        }

        var options = new RedisTierOptions
        {
            Configuration = configuration,
            Namespace = "bench" + Guid.NewGuid().ToString("N"),
            Expiry = Expiry,
            SlidingExpiry = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        _connection = RedisTier.Connect(options);
        _database = _connection.GetDatabase();
        _device = new RedisBlockDevice(_connection, options, Blocks + PrefixBlocks, BlockBytes);
        _payload = new byte[BlockBytes];
        new Random(1).NextBytes(_payload);
        _buffer = new byte[BlockBytes];
        _keys = new BlockKey[Blocks];
        _rawKeys = new RedisKey[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            _keys[i] = new BlockKey((ulong)i + 1, 7);
            _rawKeys[i] = $"{options.Namespace}-raw:{i}";
            _device.Write(i, _keys[i], BlockKey.Empty, _payload);
            _database.StringSet(_rawKeys[i], _payload, Expiry);
        }

        _prefix = new BlockKey[PrefixBlocks];
        _prefixRawKeys = new RedisKey[PrefixBlocks];
        for (int i = 0; i < PrefixBlocks; i++)
        {
            _prefix[i] = new BlockKey((ulong)i + 1, 8);
            _device.Write(Blocks + i, _prefix[i], i == 0 ? BlockKey.Empty : _prefix[i - 1], _payload.AsSpan(0, 64));
            _prefixRawKeys[i] = _device.ServerKey(_prefix[i]);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _device.Dispose();
        _connection.Dispose();
        _garnet?.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Get")]
    public int RawRedisGet()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        using Lease<byte> lease = _database.StringGetLease(_rawKeys[i])!;
        lease.Span.CopyTo(_buffer);
        return lease.Length;
    }

    [Benchmark]
    [BenchmarkCategory("Get")]
    public int TierGet()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        return _device.Read(i, _keys[i], _buffer);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Put")]
    public bool RawRedisPut()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        return _database.StringSet(_rawKeys[i], _payload, Expiry);
    }

    [Benchmark]
    [BenchmarkCategory("Put")]
    public void TierPut()
    {
        int i = _next = (_next + 1) & (Blocks - 1);
        _device.Write(i, _keys[i], BlockKey.Empty, _payload);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("MatchPrefix")]
    public int RawRedisExists()
    {
        IBatch batch = _database.CreateBatch();
        var pending = new Task<bool>[PrefixBlocks];
        for (int i = 0; i < PrefixBlocks; i++)
        {
            pending[i] = batch.KeyExistsAsync(_prefixRawKeys[i]);
        }

        batch.Execute();
        Task.WaitAll(pending);
        int found = 0;
        while (found < PrefixBlocks && pending[found].Result)
        {
            found++;
        }

        return found;
    }

    [Benchmark]
    [BenchmarkCategory("MatchPrefix")]
    public int TierMatchPrefix() => _device.MatchPrefix(_prefix);

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
