using System.Net;
using System.Net.Sockets;
using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>The block stream over real loopback TCP sockets.</summary>
public sealed class TcpTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_server_listens_on_loopback_and_an_ephemeral_port()
    {
        using var ends = new Ends(TinyLayout);
        await using var server = new BlockStreamServer(ends.Receiver);

        Assert.Equal(IPAddress.Loopback, server.EndPoint.Address);
        Assert.NotEqual(0, server.EndPoint.Port);
    }

    [Fact]
    public async Task A_chain_round_trips_over_tcp()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(40);
        await using var server = new BlockStreamServer(ends.Receiver);
        var client = new BlockStreamClient(ends.Sender);

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: 3);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(3, receive.SessionId);
        Assert.Equal(40, receive.BlocksStored);
        Assert.Equal(40, send.Receipt!.BlocksStored);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task MiB_blocks_round_trip_over_tcp_under_back_pressure()
    {
        using var ends = new Ends(MiBLayout, capacity: 16);
        BlockKey[] chain = ends.SenderChain(12);
        await using var server = new BlockStreamServer(ends.Receiver);
        var client = new BlockStreamClient(ends.Sender);

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.True(send.Completed, send.Reason);
        Assert.True(receive.Completed, receive.Reason);
        Assert.Equal(12L * MiBLayout.BytesPerBlock, receive.PayloadBytes);
        AssertHolds(ends.ReceiverStore, chain);
    }

    [Fact]
    public async Task Eight_sessions_stream_at_once_into_one_store()
    {
        using var ends = new Ends(SmallLayout, capacity: 256);
        // Every session shares an 8-block system prompt, then has 16 blocks of its own.
        BlockKey[] shared = Chain(ends.SenderHasher, 8, seed: 100);
        Fill(ends.SenderStore, ends.SenderHasher.Root, shared);
        BlockKey[][] sessions = new BlockKey[8][];
        for (int s = 0; s < sessions.Length; s++)
        {
            BlockKey[] own = Chain(ends.SenderHasher, 16, seed: s, parent: shared[^1]);
            Fill(ends.SenderStore, shared[^1], own);
            sessions[s] = [.. shared, .. own];
        }

        await using var server = new BlockStreamServer(ends.Receiver);
        var client = new BlockStreamClient(ends.Sender);
        Task<BlockReceiveResult>[] receiving = [.. Enumerable.Range(0, 8).Select(_ => server.ReceiveOneAsync())];
        Task<BlockSendResult>[] sending = [.. sessions.Select((chain, s) =>
            Task.Run(() => client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: s + 1)))];

        BlockSendResult[] sent = await Task.WhenAll(sending).WaitAsync(Generous);
        BlockReceiveResult[] received = await Task.WhenAll(receiving).WaitAsync(Generous);

        Assert.All(sent, r => Assert.True(r.Completed, r.Reason));
        Assert.All(received, r => Assert.True(r.Completed, r.Reason));
        Assert.All(received, r => Assert.Equal(24, r.BlocksVerified));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), received.Select(r => r.SessionId).Order());
        int unique = 8 + (8 * 16);
        Assert.Equal(unique, ends.ReceiverStore.Count);
        Assert.Equal(unique, received.Sum(r => r.BlocksStored - r.BlocksAlreadyPresent));
        Assert.All(sessions, chain => AssertHolds(ends.ReceiverStore, chain));
    }

    [Fact]
    public async Task ServeAsync_yields_a_result_per_connection()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[][] chains = [.. Enumerable.Range(0, 4).Select(s => ends.SenderChain(10, seed: 10 + s))];
        await using var server = new BlockStreamServer(ends.Receiver);
        var client = new BlockStreamClient(ends.Sender);
        using var stop = new CancellationTokenSource(Generous);

        Task<BlockSendResult>[] sending = [.. chains.Select((chain, s) =>
            Task.Run(() => client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain, session: s)))];
        var results = new List<BlockReceiveResult>();
        await foreach (BlockReceiveResult result in server.ServeAsync(stop.Token))
        {
            results.Add(result);
            if (results.Count == chains.Length)
            {
                break;
            }
        }

        await Task.WhenAll(sending);
        Assert.All(results, r => Assert.True(r.Completed, r.Reason));
        Assert.Equal(40, ends.ReceiverStore.Count);
        Assert.All(chains, chain => AssertHolds(ends.ReceiverStore, chain));
    }

    [Fact]
    public async Task A_refused_handshake_reaches_the_client_over_tcp()
    {
        using var ends = new Ends(TinyLayout, receiverSalt: "someone-else");
        BlockKey[] chain = ends.SenderChain(4);
        await using var server = new BlockStreamServer(ends.Receiver);
        var client = new BlockStreamClient(ends.Sender);

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        BlockSendResult send = await client.SendChainAsync(server.EndPoint, ends.SenderHasher.Root, chain);
        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.NamespaceMismatch, send.Fault);
        Assert.Contains("key namespace mismatch", send.Reason);
        Assert.Equal(TransferFault.NamespaceMismatch, receive.Fault);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_corrupt_frame_over_tcp_stops_the_sender_with_the_receivers_reason()
    {
        using var ends = new Ends(SmallLayout, capacity: 64);
        BlockKey[] chain = ends.SenderChain(40);
        await using var server = new BlockStreamServer(ends.Receiver);
        int frame = WireFormat.FrameOverheadBytes + SmallLayout.BytesPerBlock;

        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();
        using var socket = await ConnectAndHandshakeAsync(server.EndPoint, ends.SenderHasher);
        byte[] frames = BuildFrames(ends, chain);
        frames[(2 * frame) + 1000] ^= 0x5A;
        try
        {
            await socket.SendAsync(frames);
        }
        catch (SocketException)
        {
            // The receiver may close (and reset) before every byte has gone: that is the point.
        }

        // A real sender closes once it has the receipt; until then the server lingers, discarding what arrives.
        socket.Shutdown(SocketShutdown.Send);

        BlockReceiveResult receive = await receiving.WaitAsync(Generous);

        Assert.Equal(TransferFault.ChecksumMismatch, receive.Fault);
        Assert.Equal(2, receive.BlocksVerified);
        Assert.Equal(2, ends.ReceiverStore.Count);
        AssertHolds(ends.ReceiverStore, chain[..2]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_dies_mid_frame_leaves_only_whole_blocks(bool reset)
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(6);
        await using var server = new BlockStreamServer(ends.Receiver);
        Task<BlockReceiveResult> receiving = server.ReceiveOneAsync();

        using (Socket socket = await ConnectAndHandshakeAsync(server.EndPoint, ends.SenderHasher))
        {
            byte[] frames = BuildFrames(ends, chain);
            await socket.SendAsync(frames.AsMemory(0, (3 * TinyFrame) + 90));
            if (reset)
            {
                socket.LingerState = new LingerOption(true, 0); // close sends RST instead of FIN
            }
            else
            {
                socket.Shutdown(SocketShutdown.Send);
            }
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

        Assert.Equal(receive.BlocksStored, ends.ReceiverStore.Count);
        AssertHolds(ends.ReceiverStore, chain[..(int)receive.BlocksStored]);
        AssertLacks(ends.ReceiverStore, chain[3..]);
    }

    [Fact]
    public async Task The_client_refuses_a_non_loopback_endpoint_without_connecting()
    {
        using var ends = new Ends(TinyLayout);
        var client = new BlockStreamClient(ends.Sender);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            client.SendChainAsync(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9), ends.SenderHasher.Root, Array.Empty<BlockKey>()));
        Assert.Equal("endPoint", error.ParamName);
        Assert.Contains("192.0.2.1:9", error.Message);
    }

    [Fact]
    public async Task A_refused_connection_throws()
    {
        using var ends = new Ends(TinyLayout);
        var client = new BlockStreamClient(ends.Sender);
        IPEndPoint closed;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = (IPEndPoint)probe.LocalEndPoint!;
        }

        await Assert.ThrowsAsync<SocketException>(() => client.SendChainAsync(closed, ends.SenderHasher.Root, Array.Empty<BlockKey>()));
    }

    private static async Task<Socket> ConnectAndHandshakeAsync(IPEndPoint endPoint, BlockHasher hasher)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        await socket.SendAsync(RawPeer.Hello(hasher));
        var reply = new byte[ReceiverMessage.HeaderBytes + WireFormat.ChecksumBytes];
        int got = 0;
        while (got < reply.Length)
        {
            int n = await socket.ReceiveAsync(reply.AsMemory(got));
            Assert.NotEqual(0, n);
            got += n;
        }

        Assert.True(ReceiverMessage.TryRead(reply, out ReceiverMessage message));
        Assert.Equal(TransferFault.None, message.Fault);
        return socket;
    }
}
