using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// Every way a TLS connection can go wrong ends in a fault on a result, the server goes on serving, and no block from
/// a peer that did not authenticate ever reaches the store.
/// </summary>
public sealed class TlsFaultTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);
    private readonly TestPki _pki = new("fleet");
    private readonly TestPki _stranger = new("stranger");

    public void Dispose()
    {
        _pki.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task A_plaintext_client_is_refused_by_a_tls_server()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await new BlockStreamClient(ends.Sender).SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
        Assert.Contains("TLS handshake", receive.Reason);
        Assert.False(send.Completed);
        Assert.Equal(0, send.BlocksSent);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_tls_client_is_refused_by_a_plaintext_server()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver);

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await new BlockStreamClient(ends.Sender, _pki.Node("prefill"))
            .SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Equal(0, send.BlocksSent);
        Assert.Equal(TransferFault.BadMagic, receive.Fault); // the ClientHello is not "KVTS"
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused()
    {
        using var ends = new Ends(TinyLayout);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        ReceiverMessage? reply;
        await using (RawTlsPeer peer = await RawTlsPeer.ConnectAsync(server.EndPoint, certificate: null))
        {
            reply = await peer.HandshakeAsync(ends.SenderHasher);
        }

        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        // The server completes the TLS session only to say why it refuses, in place of the handshake reply.
        Assert.Equal(TransferFault.AuthenticationFailed, reply!.Value.Fault);
        Assert.Equal(ReceiverMessage.Reply, reply.Value.Type);
        Assert.Equal("the client presented no certificate", reply.Value.Reason);
        Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
        Assert.Contains("the client presented no certificate", receive.Reason);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_client_with_an_untrusted_certificate_is_refused()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode"));
        // The intruder trusts the fleet's CA (it knows whom it attacks), but its own certificate is the stranger's.
        var intruder = new BlockStreamClient(ends.Sender, new BlockStreamTls(_stranger.Issue("intruder"), _pki.Roots));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await intruder.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
        Assert.Contains("the client's certificate CN=intruder", receive.Reason);
        Assert.Contains("does not chain to a trusted root", receive.Reason);
        // The server refuses once the TLS library has finished the handshake, inside the session, in place of its
        // reply: the client reads the refusal and why, not a lost connection.
        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.StartsWith("the receiver refused the handshake: the client's certificate CN=intruder", send.Reason);
        Assert.Contains("does not chain to a trusted root (PartialChain)", send.Reason); // the stranger CA is not sent, nor known
        Assert.Equal(0, send.BlocksSent);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    /// <summary>
    /// The other half of the refusal: a trusted server that completes the TLS handshake and then cuts the connection,
    /// without a word, is a lost connection. Only a refusal the server sends says authentication failed.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_server_that_cuts_the_connection_after_the_tls_handshake_is_a_lost_connection_not_a_refusal(bool reset)
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(AnyLoopbackPort);
        listener.Listen(1);
        Task cutting = CutAfterHandshakeAsync(listener, _pki.Issue("decode"), reset);
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        BlockSendResult send = await client.SendChainAsync((IPEndPoint)listener.LocalEndPoint!, ends.SenderHasher.Root, chain)
            .WaitAsync(Generous);
        await cutting.WaitAsync(Generous);

        Assert.Equal(TransferFault.ConnectionLost, send.Fault);
        Assert.DoesNotContain("certificate", send.Reason);
        Assert.DoesNotContain("refuse", send.Reason);
        Assert.Equal(0, send.BlocksSent);
    }

    /// <summary>A TLS server by hand: accepts one client, completes the handshake (admitting any client certificate), then cuts.</summary>
    private static async Task CutAfterHandshakeAsync(Socket listener, X509Certificate2 certificate, bool reset)
    {
        Socket socket = await listener.AcceptAsync();
        await using var tls = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: true));
        await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions
        {
            ServerCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(certificate, null, offline: true),
            ClientCertificateRequired = true,
#pragma warning disable CA5359 // this hand-made server cuts every client; whom it admits does not matter
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        });
        if (reset)
        {
            socket.LingerState = new LingerOption(true, 0); // RST
            socket.Close();
            return;
        }

        // FIN, then wait for the client to close, so its unread handshake does not turn the close into a reset.
        socket.Shutdown(SocketShutdown.Send);
        var sink = new byte[4096];
        while (await socket.ReceiveAsync(sink, SocketFlags.None) > 0)
        {
        }
    }

    [Fact]
    public async Task A_server_with_an_untrusted_certificate_is_refused_by_the_client()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort,
            new BlockStreamTls(_stranger.Issue("impostor"), _pki.Roots));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: 7);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Contains("the server's certificate CN=impostor", send.Reason);
        Assert.Equal(7, send.SessionId);
        Assert.Equal(0, send.BlocksSent);
        // .NET checks the server's certificate once the TLS library has finished the client's handshake, so the
        // server sees an authenticated session that closes before the block stream's first byte.
        Assert.False(receive.Completed);
        Assert.Contains(receive.Fault, new[] { TransferFault.AuthenticationFailed, TransferFault.ConnectionLost });
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_server_certificate_for_another_name_is_refused_when_the_client_names_its_server()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(2);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode-7"));
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill", serverName: "decode-3"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Contains("is not for decode-3", send.Reason);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task AcceptPeer_refuses_a_trusted_certificate_it_does_not_admit()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(2);
        var decode = new BlockStreamTls(_pki.Issue("decode"), _pki.Roots) { AcceptPeer = peer => peer.Subject == "CN=prefill-1" };
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, decode);
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill-2"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
        Assert.Contains("CN=prefill-2", receive.Reason);
        Assert.Contains("refused by AcceptPeer", receive.Reason);
        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Contains("refused by AcceptPeer", send.Reason);
        Assert.Equal(0, send.BlocksSent);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_client_that_stalls_the_tls_handshake_times_out_on_the_server()
    {
        using var ends = new Ends(TinyLayout, options: Idle(TimeSpan.FromSeconds(1)));
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode"));

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.EndPoint); // and never says hello
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.TimedOut, receive.Fault);
        Assert.Contains("TLS handshake", receive.Reason);
    }

    [Fact]
    public async Task A_server_that_stalls_the_tls_handshake_times_out_on_the_client()
    {
        using var ends = new Ends(TinyLayout, options: Idle(TimeSpan.FromSeconds(1)));
        BlockKey[] chain = ends.SenderChain(2);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(AnyLoopbackPort);
        silent.Listen(1); // accepts in the kernel, never answers the ClientHello
        var client = new BlockStreamClient(ends.Sender, _pki.Node("prefill"));

        BlockSendResult send = await client.SendChainAsync((IPEndPoint)silent.LocalEndPoint!, ends.SenderHasher.Root, chain)
            .WaitAsync(Generous);

        Assert.Equal(TransferFault.TimedOut, send.Fault);
        Assert.Contains("TLS handshake", send.Reason);
        Assert.Equal(0, send.BlocksSent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tls_connection_cut_mid_frame_leaves_only_whole_blocks(bool reset)
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(6);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, _pki.Node("decode"));
        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();

        await using (RawTlsPeer peer = await RawTlsPeer.ConnectAsync(server.EndPoint, _pki.Issue("prefill")))
        {
            Assert.Equal(TransferFault.None, (await peer.HandshakeAsync(ends.SenderHasher))!.Value.Fault);
            await peer.Tls.WriteAsync(BuildFrames(ends, chain).AsMemory(0, (3 * TinyFrame) + 90));
            await peer.Tls.FlushAsync();
            if (reset)
            {
                peer.Reset(); // RST: no close_notify, no FIN
            }
            else
            {
                peer.Socket.Shutdown(SocketShutdown.Send); // FIN before the end frame: a truncation, not an end
            }

            BlockReceiveResult receive = await receiving.WaitAsync(Generous);

            Assert.False(receive.Completed);
            Assert.Contains(receive.Fault, new[] { TransferFault.Truncated, TransferFault.ConnectionLost });
            if (!reset)
            {
                Assert.Equal(TransferFault.Truncated, receive.Fault);
                Assert.Equal(3, receive.BlocksVerified);
                Assert.Equal(1, receive.BlocksRejected);
            }

            // A reset may discard bytes the server had not read yet: fewer blocks, never a partial one.
            Assert.Equal(receive.BlocksStored, ends.ReceiverStore.Count);
            AssertHolds(ends.ReceiverStore, chain[..(int)receive.BlocksStored]);
            AssertLacks(ends.ReceiverStore, chain[3..]);
        }
    }
}
