using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

/// <summary>Decodes a captured stream by the byte offsets of docs/transfer.md, independently of the receiver.</summary>
public sealed class WireFormatTests
{
    [Fact]
    public async Task Frames_carry_type_length_key_parent_payload_and_a_trailing_checksum()
    {
        using var ends = new Ends(TinyLayout);
        BlockKey[] chain = ends.SenderChain(3);
        var (sender, receiver) = Pair(TinyLayout);
        Task<BlockSendResult> sending = ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, chain, session: 5);

        await RawPeer.AcceptHandshakeAsync(receiver);
        const int frame = 40 + 128 + 8;
        byte[] stream = await RawPeer.ReadExactlyAsync(receiver.Input, (3 * frame) + 72);
        await RawPeer.WriteReceiptAsync(receiver.Output, 3, 3);
        BlockSendResult send = await sending;
        Assert.True(send.Completed, send.Reason);

        for (int i = 0; i < 3; i++)
        {
            ReadOnlySpan<byte> f = stream.AsSpan(i * frame, frame);
            Assert.Equal(1, f[0]);
            Assert.Equal(0, f[1]);
            Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(f[2..]));
            Assert.Equal(128u, BinaryPrimitives.ReadUInt32LittleEndian(f[4..]));
            Assert.Equal(chain[i], BlockKey.ReadFrom(f[8..]));
            Assert.Equal(i == 0 ? ends.SenderHasher.Root : chain[i - 1], BlockKey.ReadFrom(f[24..]));
            Assert.True(f.Slice(40, 128).SequenceEqual(Payload(chain[i], 128)));
            Assert.Equal(XxHash3.HashToUInt64(f[..168]), BinaryPrimitives.ReadUInt64LittleEndian(f[168..]));
        }

        ReadOnlySpan<byte> end = stream.AsSpan(3 * frame, 72);
        Assert.Equal(2, end[0]);
        Assert.Equal(24u, BinaryPrimitives.ReadUInt32LittleEndian(end[4..]));
        Assert.True(end.Slice(8, 32).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(3, BinaryPrimitives.ReadInt64LittleEndian(end[40..]));
        Assert.Equal(3 * 128, BinaryPrimitives.ReadInt64LittleEndian(end[48..]));
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(end[56..]));
        Assert.Equal(XxHash3.HashToUInt64(end[..64]), BinaryPrimitives.ReadUInt64LittleEndian(end[64..]));
    }

    [Fact]
    public async Task Receiver_messages_carry_magic_version_type_code_counts_reason_and_checksum()
    {
        using var ends = new Ends(TinyLayout, receiverSalt: "other");
        var (sender, receiver) = Pair(TinyLayout);
        Task<BlockReceiveResult> receiving = ends.Receiver.ReceiveAsync(receiver);

        await sender.Output.WriteAsync(RawPeer.Hello(ends.SenderHasher));
        byte[] header = await RawPeer.ReadExactlyAsync(sender.Input, 40);
        int reasonBytes = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(32));
        byte[] rest = await RawPeer.ReadExactlyAsync(sender.Input, reasonBytes + 8);
        await receiving;

        Assert.Equal("KVTR"u8.ToArray(), header[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4)));
        Assert.Equal(1, header[6]);                                   // handshake reply
        Assert.Equal((byte)TransferFault.NamespaceMismatch, header[7]); // wire code 5
        Assert.Equal(5, header[7]);
        Assert.True(header.AsSpan(8, 24).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(36)));
        string reason = System.Text.Encoding.UTF8.GetString(rest, 0, reasonBytes);
        Assert.StartsWith("key namespace mismatch", reason);
        byte[] covered = [.. header, .. rest.AsSpan(0, reasonBytes)];
        Assert.Equal(XxHash3.HashToUInt64(covered), BinaryPrimitives.ReadUInt64LittleEndian(rest.AsSpan(reasonBytes)));
    }

    [Fact]
    public void Long_reasons_are_cut_at_a_character_boundary()
    {
        string reason = string.Concat(Enumerable.Repeat("é", 600)); // 1,200 UTF-8 bytes
        var message = new Protocol.ReceiverMessage(Protocol.ReceiverMessage.Receipt, TransferFault.Truncated, 1, 2, 3, reason);
        var buffer = new byte[Protocol.ReceiverMessage.MaxBytes];

        int length = message.WriteTo(buffer);

        Assert.Equal(40 + 1024 + 8, length);
        Assert.True(Protocol.ReceiverMessage.TryRead(buffer.AsSpan(0, length), out var read));
        Assert.Equal(new string('é', 512), read.Reason);
        Assert.Equal((1L, 2L, 3L), (read.BlocksReceived, read.BlocksStored, read.BlocksRejected));
    }
}
