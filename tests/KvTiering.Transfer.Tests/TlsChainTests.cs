using System.Net;
using System.Security.Cryptography.X509Certificates;
using KvTiering.Blocks;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// Node certificates issued by an intermediate CA under an offline root: each node sends its intermediates, and its
/// peer, trusting the root only, builds the chain from them. What a peer sends helps build its chain and is never
/// trusted itself.
/// </summary>
public sealed class TlsChainTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);
    private readonly TestPki _root = new("fleet root");
    private readonly TestPki _issuing;
    private readonly TestPki _stranger = new("stranger");
    private readonly TestPki _strangerIssuing;

    public TlsChainTests()
    {
        _issuing = _root.Intermediate("fleet issuing");
        _strangerIssuing = _stranger.Intermediate("stranger issuing");
    }

    public void Dispose()
    {
        _strangerIssuing.Dispose();
        _stranger.Dispose();
        _issuing.Dispose();
        _root.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Nodes_under_intermediate_cas_authenticate_each_other_when_they_send_their_chains(int depth)
    {
        using TestPki second = _issuing.Intermediate("fleet issuing 2");
        TestPki issuer = depth == 1 ? _issuing : second;
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(8);
        // Each side trusts the root alone: it can only build the other's chain from what the other sends.
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort,
            new BlockStreamTls(issuer.Issue("decode"), _root.Roots) { Intermediates = issuer.Chain });
        var client = new BlockStreamClient(ends.Sender,
            new BlockStreamTls(issuer.Issue("prefill"), _root.Roots) { Intermediates = issuer.Chain, ServerName = "decode" });

        (BlockSendResult send, BlockReceiveResult receive) = await RunAsync(server, client, ends, chain);

        Assert.Equal(depth, issuer.Chain.Length);
        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task A_client_that_does_not_send_its_intermediate_is_refused_and_told_why()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort,
            new BlockStreamTls(_issuing.Issue("decode"), _root.Roots) { Intermediates = _issuing.Chain });
        var client = new BlockStreamClient(ends.Sender, new BlockStreamTls(_issuing.Issue("prefill"), _root.Roots));

        (BlockSendResult send, BlockReceiveResult receive) = await RunAsync(server, client, ends, chain);

        Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
        Assert.Contains("the client's certificate CN=prefill", receive.Reason);
        Assert.Contains("PartialChain", receive.Reason);
        Assert.Contains($"whose issuer {_issuing.Ca.Subject} is neither a trusted root nor among the certificates the client sent", receive.Reason);
        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Contains("PartialChain", send.Reason);
        Assert.Equal(0, send.BlocksSent);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_server_that_does_not_send_its_intermediate_is_refused_and_named()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, new BlockStreamTls(_issuing.Issue("decode"), _root.Roots));
        var client = new BlockStreamClient(ends.Sender,
            new BlockStreamTls(_issuing.Issue("prefill"), _root.Roots) { Intermediates = _issuing.Chain });

        (BlockSendResult send, BlockReceiveResult receive) = await RunAsync(server, client, ends, chain);

        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Contains("the server's certificate CN=decode", send.Reason);
        Assert.Contains($"whose issuer {_issuing.Ca.Subject} is neither a trusted root nor among the certificates the server sent", send.Reason);
        Assert.False(receive.Completed);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    /// <summary>
    /// The peer sends a whole chain that is valid in itself, under another root: an intermediate is something to build
    /// with, not to trust. <paramref name="peerIsClient"/> picks which end is the stranger.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_chain_through_an_intermediate_of_another_root_is_refused(bool peerIsClient)
    {
        var member = new BlockStreamTls(_issuing.Issue(peerIsClient ? "decode" : "prefill"), _root.Roots) { Intermediates = _issuing.Chain };
        var stranger = new BlockStreamTls(_strangerIssuing.Issue(peerIsClient ? "prefill" : "decode"), _root.Roots)
        {
            Intermediates = _strangerIssuing.Chain,
        };

        await AssertRefusedAsync(peerIsClient, member, stranger, expected: "does not chain to a trusted root");
    }

    /// <summary>
    /// The peer's certificate is signed directly by a root the verifier was never given, and the peer offers that root
    /// as its intermediate: it is refused as untrusted, whatever the peer sends with it.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_leaf_of_a_root_offered_only_as_an_intermediate_is_refused(bool peerIsClient)
    {
        var member = new BlockStreamTls(_issuing.Issue(peerIsClient ? "decode" : "prefill"), _root.Roots) { Intermediates = _issuing.Chain };
        var stranger = new BlockStreamTls(_stranger.Issue(peerIsClient ? "prefill" : "decode"), _root.Roots) { Intermediates = [_stranger.Ca] };

        await AssertRefusedAsync(peerIsClient, member, stranger, expected: "does not chain to a trusted root");
    }

    [Fact]
    public void Intermediates_must_be_cas_in_this_nodes_chain()
    {
        X509Certificate2 node = _issuing.Issue("decode");
        X509Certificate2 anotherNode = _issuing.Issue("prefill");

        var notCa = Assert.Throws<ArgumentException>(() => new BlockStreamTls(node, _root.Roots) { Intermediates = [anotherNode] });
        Assert.Equal("Intermediates", notCa.ParamName);
        Assert.Contains($"Intermediate CN=prefill ({anotherNode.Thumbprint}) is not a CA certificate", notCa.Message);

        var unrelated = Assert.Throws<ArgumentException>(() => new BlockStreamTls(node, _root.Roots) { Intermediates = [_strangerIssuing.Ca] });
        Assert.Contains($"Intermediate {_strangerIssuing.Ca.Subject} ({_strangerIssuing.Ca.Thumbprint}) is not in the chain of certificate CN=decode", unrelated.Message);

        // The whole chain up to and including the root, as a PEM chain file often holds it, is accepted.
        var full = new BlockStreamTls(node, _root.Roots) { Intermediates = [_root.Root, .. _issuing.Chain] };
        Assert.Equal(2, full.Intermediates.Count);
    }

    private async Task AssertRefusedAsync(bool peerIsClient, BlockStreamTls member, BlockStreamTls stranger, string expected)
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver, AnyLoopbackPort, peerIsClient ? member : stranger);
        var client = new BlockStreamClient(ends.Sender, peerIsClient ? stranger : member);

        (BlockSendResult send, BlockReceiveResult receive) = await RunAsync(server, client, ends, chain);

        Assert.Equal(TransferFault.AuthenticationFailed, send.Fault);
        Assert.Equal(0, send.BlocksSent);
        Assert.False(receive.Completed);
        if (peerIsClient)
        {
            Assert.Equal(TransferFault.AuthenticationFailed, receive.Fault);
            Assert.Contains("the client's certificate CN=prefill", receive.Reason);
            Assert.Contains(expected, receive.Reason);
            Assert.Contains(expected, send.Reason);
        }
        else
        {
            Assert.Contains("the server's certificate CN=decode", send.Reason);
            Assert.Contains(expected, send.Reason);
        }

        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    private static async Task<(BlockSendResult Send, BlockReceiveResult Receive)> RunAsync(BlockStreamServer server, BlockStreamClient client,
        Ends ends, BlockKey[] chain)
    {
        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain).WaitAsync(Generous);
        return (send, await receiving.WaitAsync(Generous));
    }
}
