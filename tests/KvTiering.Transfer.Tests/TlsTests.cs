using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using KvTiering.Blocks;
using Xunit.Abstractions;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>The block stream over mutually authenticated TLS: any endpoint, the protocol unchanged inside.</summary>
public sealed class TlsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);
    private readonly TestPki _pki = new("fleet");

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task A_chain_round_trips_over_mutual_tls()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(40);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill", serverName: "decode"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: 5);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(5, receive.SessionId);
        Assert.Equal(40, send.Receipt!.BlocksStored);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task MiB_blocks_round_trip_over_tls_under_back_pressure()
    {
        using var ends = new Ends(MiBLayout, capacity: 16);
        BlockKey[] chain = ends.SenderChain(12);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(12L * MiBLayout.BytesPerBlock, receive.PayloadBytes);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task A_stream_crosses_a_non_loopback_address_over_tls()
    {
        // This host's first non-loopback IPv4 address when it has one (bound and dialled directly); otherwise the
        // wildcard address, dialled through loopback. Either way the plaintext check would have refused the server.
        IPAddress? external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        IPAddress bind = external ?? IPAddress.Any;
        output.WriteLine(external is null ? "no non-loopback IPv4 address: bound 0.0.0.0, dialled 127.0.0.1" : $"bound and dialled {external}");

        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(10);
        var decode = new BlockStreamTls(_pki.Issue("decode", external is null ? [] : [external]), _pki.Roots);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(bind, 0), decode);
        IPEndPoint dial = new(external ?? IPAddress.Loopback, server.EndPoint.Port);
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill", serverName: dial.Address.ToString()));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(dial, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(bind, server.EndPoint.Address);
        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task A_pinned_self_signed_pair_authenticates()
    {
        using X509Certificate2 decode = TestPki.SelfSigned("decode");
        using X509Certificate2 prefill = TestPki.SelfSigned("prefill");
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), new BlockStreamTls(decode, [prefill]));
        var client = new BlockStreamClient(ends.Sender, new BlockStreamTls(prefill, [decode]));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task Eight_tls_sessions_stream_at_once_into_one_store()
    {
        using var ends = new Ends(SmallLayout, capacity: 256);
        BlockKey[][] chains = [.. Enumerable.Range(0, 8).Select(s => ends.SenderChain(16, seed: 50 + s))];
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        Task<BlockReceiveResult>[] receiving = [.. chains.Select(_ => server.ReceiveOneAsync())];
        Task<BlockSendResult>[] sending = [.. chains.Select((chain, s) =>
            Task.Run(() => client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: s + 1)))];
        BlockSendResult[] sent = await Task.WhenAll(sending).WaitAsync(Generous);
        BlockReceiveResult[] received = await Task.WhenAll(receiving).WaitAsync(Generous);

        Assert.All(sent, r => Assert.True(r.Completed, r.Reason));
        Assert.All(received, r => Assert.True(r.Completed, r.Reason));
        Assert.Equal(8 * 16, ends.ReceiverStore.Count);
        Assert.All(chains, chain => AssertHolds(ends.ReceiverStore, chain));
    }

    [Fact]
    public async Task A_refused_handshake_reaches_the_client_over_tls()
    {
        // 1 MiB blocks: the client has frames in flight when the receiver refuses, so closing without draining them
        // would reset the connection and could lose the refusal.
        using var ends = new Ends(MiBLayout, capacity: 16, receiverSalt: "someone-else");
        BlockKey[] chain = ends.SenderChain(8);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.NamespaceMismatch, send.Fault);
        Assert.Contains("key namespace mismatch", send.Reason);
        Assert.Equal(TransferFault.NamespaceMismatch, receive.Fault);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_plaintext_server_refuses_a_non_loopback_endpoint()
    {
        using var ends = new Ends(TinyLayout);
        var endPoint = new IPEndPoint(IPAddress.Any, 0);

        var error = Assert.Throws<ArgumentException>(() => new BlockStreamServer(ends.Receiver, endPoint, tls: null));

        Assert.Equal("endPoint", error.ParamName);
        Assert.Contains("0.0.0.0:0", error.Message);
        Assert.Contains("BlockStreamTls", error.Message);
        await using var loopback = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), tls: null);
        Assert.Null(loopback.Tls);
    }

    [Fact]
    public void Tls_settings_refuse_a_certificate_without_its_key_and_empty_roots()
    {
        using X509Certificate2 node = _pki.Issue("node");
        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(node.RawData);

        var noKey = Assert.Throws<ArgumentException>(() => new BlockStreamTls(publicOnly, _pki.Roots));
        Assert.Equal("certificate", noKey.ParamName);
        Assert.Contains("CN=node", noKey.Message);
        var noRoots = Assert.Throws<ArgumentException>(() => new BlockStreamTls(node, []));
        Assert.Equal("trustedRoots", noRoots.ParamName);
    }
}
