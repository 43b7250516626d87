using System.Buffers.Binary;
using KvTiering.Blocks;
using KvTiering.Transfer.Protocol;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>A wrong handshake is refused with a reason the sender hears, and nothing reaches the store.</summary>
public sealed class HandshakeTests
{
    [Fact]
    public async Task A_layout_mismatch_is_refused_with_both_layouts_named()
    {
        using var ends = new Ends(TinyLayout, receiverLayout: TinyLayout.WithTokensPerBlock(8));
        BlockKey[] chain = ends.SenderChain(4);
        var (sender, receiver) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, sender, receiver, chain);

        Assert.Equal(TransferFault.LayoutMismatch, receive.Fault);
        Assert.False(receive.Completed);
        Assert.Contains("KV layout mismatch", receive.Reason);
        Assert.Contains("4 tokens (128 bytes)", receive.Reason);
        Assert.Contains("8 tokens (256 bytes)", receive.Reason);
        Assert.Equal(0, receive.BlocksReceived);
        Assert.Equal(0, ends.ReceiverStore.Count);

        Assert.Equal(TransferFault.LayoutMismatch, send.Fault);
        Assert.False(send.Completed);
        Assert.StartsWith("the receiver refused the handshake: KV layout mismatch", send.Reason);
        Assert.Equal(0, send.BlocksSent);
        Assert.Null(send.Receipt);
    }

    [Fact]
    public async Task A_different_salt_is_a_namespace_mismatch()
    {
        using var ends = new Ends(TinyLayout, receiverSalt: "tenant-b");
        BlockKey[] chain = ends.SenderChain(4);
        var (sender, receiver) = Pair(TinyLayout);

        var (send, receive) = await RunAsync(ends, sender, receiver, chain);

        Assert.Equal(TransferFault.NamespaceMismatch, receive.Fault);
        Assert.Contains(ends.SenderHasher.Root.ToString(), receive.Reason);
        Assert.Contains(ends.ReceiverHasher.Root.ToString(), receive.Reason);
        Assert.Equal(TransferFault.NamespaceMismatch, send.Fault);
        Assert.Contains("key namespace mismatch", send.Reason);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task Another_model_of_the_same_shape_is_a_namespace_mismatch()
    {
        // Mistral 7B has exactly Llama 3.1 8B's KV shape; only the model id (in the namespace) tells them apart.
        KvLayout llama = ModelPresets.Llama31_8B.Layout(tokensPerBlock: 1);
        KvLayout mistral = ModelPresets.Mistral7B.Layout(tokensPerBlock: 1);
        using var ends = new Ends(llama, capacity: 4, receiverLayout: mistral);
        BlockKey[] chain = ends.SenderChain(2);
        var (sender, receiver) = Pair(llama);

        var (send, receive) = await RunAsync(ends, sender, receiver, chain);

        Assert.Equal(TransferFault.NamespaceMismatch, receive.Fault);
        Assert.Equal(TransferFault.NamespaceMismatch, send.Fault);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    public static TheoryData<string, int, byte, TransferFault, string> Tampered => new()
    {
        { "bad magic", 0, (byte)'H', TransferFault.BadMagic, "bad magic 0x48565453" },
        { "version 2", 4, 2, TransferFault.UnsupportedVersion, "unsupported protocol version 2" },
        { "length 65", 6, 65, TransferFault.MalformedHandshake, "handshake length 65" },
        { "flipped layout byte", 20, 0xFF, TransferFault.MalformedHandshake, "failed its checksum" },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public async Task A_tampered_handshake_is_refused_with_a_reason_sent_back(string what, int offset, byte value,
        TransferFault expected, string reason)
    {
        Assert.NotNull(what);
        using var ends = new Ends(TinyLayout);
        var (sender, receiver) = Pair(TinyLayout);
        byte[] hello = RawPeer.Hello(ends.SenderHasher);
        hello[offset] = value;

        Task<BlockReceiveResult> receiving = ends.Receiver.ReceiveAsync(receiver);
        await sender.Output.WriteAsync(hello);
        ReceiverMessage reply = await RawPeer.ReadMessageAsync(sender.Input);
        BlockReceiveResult receive = await receiving;

        Assert.Equal(ReceiverMessage.Reply, reply.Type);
        Assert.Equal(expected, reply.Fault);
        Assert.Contains(reason, reply.Reason);
        Assert.Equal(expected, receive.Fault);
        Assert.Equal(reply.Reason, receive.Reason);
        Assert.Equal(0, ends.ReceiverStore.Count);
    }

    [Fact]
    public async Task A_handshake_cut_short_is_truncated()
    {
        using var ends = new Ends(TinyLayout);
        var (sender, receiver) = Pair(TinyLayout);
        Task<BlockReceiveResult> receiving = ends.Receiver.ReceiveAsync(receiver);

        await sender.Output.WriteAsync(RawPeer.Hello(ends.SenderHasher).AsMemory(0, 30));
        await sender.Output.CompleteAsync();
        BlockReceiveResult receive = await receiving;

        Assert.Equal(TransferFault.Truncated, receive.Fault);
        Assert.Contains("30 bytes into the 64-byte handshake", receive.Reason);
    }

    [Fact]
    public async Task A_sender_refuses_a_peer_that_answers_in_another_protocol()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(2);
        var (sender, receiver) = Pair(TinyLayout);
        Task<BlockSendResult> sending = ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain);

        await RawPeer.ReadExactlyAsync(receiver.Input, Handshake.Bytes);
        await receiver.Output.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n................"u8.ToArray());
        BlockSendResult send = await sending;

        Assert.Equal(TransferFault.BadMagic, send.Fault);
        Assert.Contains("bad magic", send.Reason);
        Assert.Equal(0, send.BlocksSent);
    }

    [Fact]
    public void The_handshake_bytes_follow_the_spec()
    {
        var hasher = new BlockHasher(ModelPresets.Llama31_8B.Layout(tokensPerBlock: 16));
        byte[] hello = RawPeer.Hello(hasher, session: 0x0102030405060708);

        Assert.Equal("KVTS"u8.ToArray(), hello[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(hello.AsSpan(4)));
        Assert.Equal(64, BinaryPrimitives.ReadUInt16LittleEndian(hello.AsSpan(6)));
        Assert.Equal(32, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(8)));
        Assert.Equal(8, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(12)));
        Assert.Equal(128, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(16)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(20)));
        Assert.Equal(16, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(24)));
        Assert.Equal(2 * 1024 * 1024, BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(28)));
        Assert.Equal(hasher.Root, BlockKey.ReadFrom(hello.AsSpan(32)));
        Assert.Equal(0x0102030405060708, BinaryPrimitives.ReadInt64LittleEndian(hello.AsSpan(48)));
        Assert.Equal(System.IO.Hashing.XxHash3.HashToUInt64(hello.AsSpan(0, 56)), BinaryPrimitives.ReadUInt64LittleEndian(hello.AsSpan(56)));
    }
}
