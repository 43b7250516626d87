using System.Net;
using System.Net.Sockets;
using KvTiering.Blocks;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>A TLS server goes on serving while peers fail their handshakes around it, and a forger in the middle stores nothing.</summary>
public sealed class TlsServeTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);
    private readonly TestPki _pki = new("fleet");
    private readonly TestPki _stranger = new("stranger");

    public void Dispose()
    {
        _pki.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task ServeAsync_stores_the_authenticated_stream_and_reports_every_refused_one()
    {
        using var ends = new Ends(TinyLayout, options: Idle(TimeSpan.FromSeconds(3)));
        BlockKey[] good = ends.SenderChain(8, seed: 1);
        BlockKey[] bad = ends.SenderChain(8, seed: 2);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        using var stop = new CancellationTokenSource(Generous);
        var results = new List<BlockReceiveResult>();
        Task serving = Task.Run(async () =>
        {
            await foreach (BlockReceiveResult result in server.ServeAsync(stop.Token))
            {
                results.Add(result);
                if (results.Count == 5)
                {
                    break;
                }
            }
        });

        // A connection that never starts its handshake stays open while everything below happens.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.EndPoint);
        BlockSendResult plaintext = await new BlockStreamClient(ends.Sender).SendChainAsync(server.EndPoint, ends.SenderHasher.Root, bad);
        BlockSendResult intruder = await new BlockStreamClient(ends.Sender, new BlockStreamTls(_stranger.Issue("intruder"), _pki.Roots))
            .SendChainAsync(server.EndPoint, ends.SenderHasher.Root, bad);
        await using (RawTlsPeer anonymous = await RawTlsPeer.ConnectAsync(server.EndPoint, certificate: null))
        {
            Assert.Equal(TransferFault.AuthenticationFailed, (await anonymous.HandshakeAsync(ends.SenderHasher))!.Value.Fault);
        }

        BlockSendResult member = await new BlockStreamClient(ends.Sender, _pki.Node("prefill"))
            .SendChainAsync(server.EndPoint, ends.SenderHasher.Root, good, session: 1);
        Assert.True(member.Completed, member.Reason);
        await serving.WaitAsync(Generous);

        Assert.False(plaintext.Completed);
        Assert.Equal(TransferFault.AuthenticationFailed, intruder.Fault);
        Assert.Equal(1, results.Count(r => r.Completed && r.SessionId == 1 && r.BlocksStored == good.Length));
        Assert.Equal(3, results.Count(r => r.Fault == TransferFault.AuthenticationFailed));
        Assert.Equal(1, results.Count(r => r.Fault == TransferFault.TimedOut));
        Assert.Equal(good.Length, ends.ReceiverStore.Count);
        AssertHolds(ends.ReceiverStore, good);
        AssertLacks(ends.ReceiverStore, bad);
    }

    [Fact]
    public async Task A_bit_flipped_in_flight_is_refused_and_only_the_blocks_before_it_are_stored()
    {
        using var ends = new Ends(MiBLayout, capacity: 16);
        BlockKey[] chain = ends.SenderChain(6);
        await using var server = new BlockStreamServer(ends.Receiver, new IPEndPoint(IPAddress.Loopback, 0), _pki.Node("decode"));
        using var relay = new TamperingRelay();
        long inThirdBlock = (2L * MiBLayout.BytesPerBlock) + (MiBLayout.BytesPerBlock / 2); // past the TLS handshake's few KiB

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        Task relaying = relay.RelayOneAsync(server.EndPoint, inThirdBlock);
        BlockSendResult send = await new BlockStreamClient(ends.Sender, _pki.Node("prefill"))
            .SendChainAsync(relay.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);
        await relaying.WaitAsync(Generous);

        // TLS's record authentication fails: a failed connection to the receiver, never a frame it parses.
        Assert.Equal(TransferFault.ConnectionLost, receive.Fault);
        Assert.False(send.Completed);
        Assert.InRange(receive.BlocksStored, 0, 2);
        Assert.Equal(receive.BlocksStored, ends.ReceiverStore.Count);
        AssertHolds(ends.ReceiverStore, chain[..(int)receive.BlocksStored]);
        AssertLacks(ends.ReceiverStore, chain[2..]);
    }
}
