// Last run (2026-12-07 07:58 UTC, session tls31, code of 325137d, 2-core EPYC, .NET 10, OpenSSL 3.0.19, --job short
// --iterationCount 6 --inProcess, exclusive hold, other work running outside the lock; docs/transfer.md "Speed over TLS"
// has this and two earlier holds, the cleanest being 07:39's on main: 256 KiB RawTls 11.62 / BlockStreamTls 13.58 ms):
// | Method         | Block   | Mean      | Ratio | Allocated |
// | RawSocket      | 256 KiB | 3.59 ms   | 1.00  | 3.9 KB    |
// | RawTls         | 256 KiB | 14.83 ms  | 4.16  | 12.0 KB   |
// | BlockStream    | 256 KiB | 3.62 ms   | 1.02  | 16.8 KB   |
// | BlockStreamTls | 256 KiB | 19.16 ms  | 5.38  | 28.2 KB   |
// | RawSocket      | 2 MiB   | 21.85 ms  | 1.00  | 3.9 KB    |
// | RawTls         | 2 MiB   | 86.14 ms  | 3.95  | 16.6 KB   |
// | BlockStream    | 2 MiB   | 31.24 ms  | 1.43  | 17.7 KB   |
// | BlockStreamTls | 2 MiB   | 111.57 ms | 5.11  | 35.7 KB   |

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using KvTiering.Transfer;

namespace KvTiering.Benchmarks;

/// <summary>
/// Streaming a chain of KV blocks from one store to another over loopback TCP (handshake, framed and checksummed
/// blocks read out of the source store into the pipe and put into the receiving store, receipt) against the
/// physical limit measured in the same run: a raw socket copy of the same payload bytes. <see cref="BlockStreamTls"/>
/// is the same stream inside mutually authenticated TLS (a full handshake per operation, as each new session's
/// connection makes, then AES-GCM both ways). All open one connection per operation and wait for the far side to have
/// everything.
/// </summary>
[MemoryDiagnoser]
public class TransferBenchmarks
{
    private const int Blocks = 32;
    private TieredKvStore _source = null!;
    private TieredKvStore _destination = null!;
    private BlockHasher _hasher = null!;
    private BlockKey[] _chain = null!;
    private BlockStreamServer _server = null!;
    private BlockStreamClient _client = null!;
    private BlockStreamServer _tlsServer = null!;
    private BlockStreamClient _tlsClient = null!;
    private X509Certificate2 _decode = null!;
    private X509Certificate2 _prefill = null!;
    private SslStreamCertificateContext _decodeContext = null!;
    private SslStreamCertificateContext _prefillContext = null!;
    private Socket _rawListener = null!;
    private IPEndPoint _rawEndPoint = null!;
    private byte[] _block = null!;
    private byte[] _sink = null!;

    [Params(256 * 1024, 2 * 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One layer × one head × BlockBytes/4 dims × 2 bytes × 1 token: a layout whose block is exactly BlockBytes.
        var layout = new KvLayout("bench", 1, 1, BlockBytes / 4, 2, 1);
        _hasher = new BlockHasher(layout);
        _source = NewStore(layout);
        _destination = NewStore(layout);
        _block = new byte[BlockBytes];
        new Random(1).NextBytes(_block);
        _chain = new BlockKey[Blocks];
        _hasher.ComputeKeys(Enumerable.Range(0, Blocks).ToArray(), _chain);
        for (int i = 0; i < Blocks; i++)
        {
            _source.Put(_chain[i], i == 0 ? _hasher.Root : _chain[i - 1], _block);
        }

        _server = new BlockStreamServer(new BlockStreamReceiver(_destination, _hasher));
        _client = new BlockStreamClient(new BlockStreamSender(_source, _hasher));
        X509Certificate2 decode = _decode = SelfSigned("decode"), prefill = _prefill = SelfSigned("prefill"); // each pins the other
        _decodeContext = SslStreamCertificateContext.Create(decode, null, offline: true);
        _prefillContext = SslStreamCertificateContext.Create(prefill, null, offline: true);
        _tlsServer = new BlockStreamServer(new BlockStreamReceiver(_destination, _hasher), new IPEndPoint(IPAddress.Loopback, 0),
            new KvTiering.Transfer.BlockStreamTls(decode, [prefill]));
        _tlsClient = new BlockStreamClient(new BlockStreamSender(_source, _hasher), new KvTiering.Transfer.BlockStreamTls(prefill, [decode]));
        _rawListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _rawListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawListener.Listen(8);
        _rawEndPoint = (IPEndPoint)_rawListener.LocalEndPoint!;
        _sink = new byte[BlockBytes];
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _server.DisposeAsync();
        await _tlsServer.DisposeAsync();
        _rawListener.Dispose();
        _source.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task RawSocket()
    {
        Task<Socket> accepting = _rawListener.AcceptAsync();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await sender.ConnectAsync(_rawEndPoint);
        using Socket receiver = await accepting;
        Task reading = Task.Run(async () =>
        {
            long left = (long)Blocks * BlockBytes;
            while (left > 0)
            {
                left -= await receiver.ReceiveAsync(_sink.AsMemory(0, (int)Math.Min(left, _sink.Length)), SocketFlags.None);
            }

            await receiver.SendAsync(new byte[] { 1 }, SocketFlags.None);
        });

        for (int i = 0; i < Blocks; i++)
        {
            for (int sent = 0; sent < _block.Length;)
            {
                sent += await sender.SendAsync(_block.AsMemory(sent), SocketFlags.None);
            }
        }

        var ack = new byte[1];
        await sender.ReceiveAsync(ack, SocketFlags.None);
        await reading;
    }

    /// <summary>
    /// TLS's own cost, for the BlockStreamTls row: the raw copy inside SslStream, with the same mutual authentication
    /// (a full handshake per operation, each side checking the other's pinned certificate).
    /// </summary>
    [Benchmark]
    public async Task RawTls()
    {
        Task<Socket> accepting = _rawListener.AcceptAsync();
        using var senderSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await senderSocket.ConnectAsync(_rawEndPoint);
        using Socket receiverSocket = await accepting;
        receiverSocket.NoDelay = true;
        await using var sender = new SslStream(new NetworkStream(senderSocket));
        await using var receiver = new SslStream(new NetworkStream(receiverSocket));
        await Task.WhenAll(
            receiver.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _decodeContext,
                ClientCertificateRequired = true,
                CertificateChainPolicy = Pinned(_prefill),
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            }),
            sender.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "decode",
                ClientCertificateContext = _prefillContext,
                CertificateChainPolicy = Pinned(_decode),
                RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
            }));
        Task reading = Task.Run(async () =>
        {
            long left = (long)Blocks * BlockBytes;
            while (left > 0)
            {
                left -= await receiver.ReadAsync(_sink.AsMemory(0, (int)Math.Min(left, _sink.Length)));
            }

            await receiver.WriteAsync(new byte[] { 1 });
        });

        for (int i = 0; i < Blocks; i++)
        {
            await sender.WriteAsync(_block);
        }

        var ack = new byte[1];
        await sender.ReadExactlyAsync(ack);
        await reading;
    }

    [Benchmark]
    public Task BlockStream() => StreamAsync(_server, _client);

    [Benchmark]
    public Task BlockStreamTls() => StreamAsync(_tlsServer, _tlsClient);

    private async Task StreamAsync(BlockStreamServer server, BlockStreamClient client)
    {
        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult sent = await client.SendChainAsync(server.EndPoint, _hasher.Root, _chain);
        BlockReceiveResult received = await receiving;
        if (!sent.Completed || received.BlocksStored != Blocks || received.BlocksAlreadyPresent != 0)
        {
            throw new InvalidOperationException($"the stream failed: {received.Fault} {received.Reason ?? sent.Reason}");
        }

        // The next operation must store every block afresh, as a decode node new to the session would: a few
        // dozen table removals, noise next to the megabytes moved.
        foreach (BlockKey key in _chain)
        {
            _destination.Remove(key);
        }
    }

    private static X509ChainPolicy Pinned(X509Certificate2 peer)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(peer);
        return policy;
    }

    /// <summary>A throwaway ECDSA P-256 certificate for a node, usable for both TLS roles.</summary>
    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private static TieredKvStore NewStore(KvLayout layout)
    {
        var options = new KvStoreOptions { Layout = layout };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e11, 1e11, TimeSpan.Zero, 0, 0), Blocks));
        return new TieredKvStore(options);
    }
}
