using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Garnet;
using KvTiering.Blocks;
using KvTiering.Redis;
using KvTiering.Security;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// What authenticating a shared tier's blocks costs, beside the unauthenticated read measured in the same run.
/// <c>Verify</c>: the value check alone, in memory (checksums only, the baseline; then the same plus an HMAC-SHA256 or
/// GMAC seal). <c>Get</c>: a whole slot read from a Garnet server embedded in the process on 127.0.0.1 (baseline: the
/// unauthenticated device).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AuthenticationBenchmarks
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 31 + 1)).ToArray();
    private static readonly BlockKey Key = new(0x1234, 0x5678);
    private GarnetServer _garnet = null!;
    private ConnectionMultiplexer _connection = null!;
    private RedisBlockDevice _plain = null!;
    private RedisBlockDevice _hmac = null!;
    private RedisBlockDevice _gmac = null!;
    private BlockAuthenticator _hmacAuth = null!;
    private BlockAuthenticator _gmacAuth = null!;
    private byte[] _plainValue = null!;
    private byte[] _hmacValue = null!;
    private byte[] _gmacValue = null!;
    private byte[] _buffer = null!;

    [Params(64 * 1024, 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int port = FreePort();
        _garnet = new GarnetServer(["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--memory", "256m", "--index", "16m"]);
        _garnet.Start();
        var options = new RedisTierOptions
        {
            Configuration = $"127.0.0.1:{port}",
            Namespace = "auth-bench",
            SlidingExpiry = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        _connection = RedisTier.Connect(options);
        var payload = new byte[BlockBytes];
        new Random(1).NextBytes(payload);
        _buffer = new byte[BlockBytes];
        _plain = Device(options, "plain", null, BlockMacAlgorithm.HmacSha256, payload);
        _hmac = Device(options, "hmac", Secret, BlockMacAlgorithm.HmacSha256, payload);
        _gmac = Device(options, "gmac", Secret, BlockMacAlgorithm.Gmac, payload);
        _hmacAuth = new BlockAuthenticator(Secret, BlockMacAlgorithm.HmacSha256);
        _gmacAuth = new BlockAuthenticator(Secret, BlockMacAlgorithm.Gmac);
        IDatabase database = _connection.GetDatabase();
        _plainValue = database.StringGet(_plain.ServerKey(Key))!;
        _hmacValue = database.StringGet(_hmac.ServerKey(Key))!;
        _gmacValue = database.StringGet(_gmac.ServerKey(Key))!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _hmac.Dispose();
        _gmac.Dispose();
        _hmacAuth.Dispose();
        _gmacAuth.Dispose();
        _connection.Dispose();
        _garnet.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Verify")]
    public int VerifyChecksums() =>
        RedisBlockHeader.TryCopyPayload(_plainValue, Key, BlockBytes, null, _buffer, out _);

    [Benchmark]
    [BenchmarkCategory("Verify")]
    public int VerifyHmacSha256() =>
        RedisBlockHeader.TryCopyPayload(_hmacValue, Key, BlockBytes, _hmacAuth, _buffer, out _);

    [Benchmark]
    [BenchmarkCategory("Verify")]
    public int VerifyGmac() =>
        RedisBlockHeader.TryCopyPayload(_gmacValue, Key, BlockBytes, _gmacAuth, _buffer, out _);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Get")]
    public int GetUnauthenticated() => _plain.Read(0, Key, _buffer);

    [Benchmark]
    [BenchmarkCategory("Get")]
    public int GetHmacSha256() => _hmac.Read(0, Key, _buffer);

    [Benchmark]
    [BenchmarkCategory("Get")]
    public int GetGmac() => _gmac.Read(0, Key, _buffer);

    private RedisBlockDevice Device(RedisTierOptions shared, string name, byte[]? secret, BlockMacAlgorithm algorithm,
        byte[] payload)
    {
        var options = new RedisTierOptions
        {
            Configuration = shared.Configuration,
            Namespace = $"{shared.Namespace}-{name}",
            SlidingExpiry = false,
            OperationTimeout = shared.OperationTimeout,
            ConnectTimeout = shared.ConnectTimeout,
            MacAlgorithm = algorithm,
        };
        var device = new RedisBlockDevice(_connection, options, 1, BlockBytes, secret);
        device.Write(0, Key, BlockKey.Empty, payload);
        return device;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
