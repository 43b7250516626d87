using System.Text;
using KvTiering.Blocks;
using KvTiering.Fuzzing;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// Mutation fuzzing of the parsers a peer's bytes reach first: the sender's handshake and the receiver's reply and
/// receipt, called in the order the endpoints call them. Oracle: no exception, and anything that passes its checksum
/// re-serializes to the same bytes.
/// </summary>
public sealed class ProtocolFuzzTests
{
    private static readonly BlockHasher Hasher = new(new KvLayout("fuzz", 2, 2, 64, 2, 16));

    [Fact]
    public void HandshakeParserNeverThrowsAndRoundTripsWhatVerifies()
    {
        var seed = new byte[Handshake.Bytes];
        Handshake local = Handshake.For(Hasher, session: 42);
        local.WriteTo(seed);
        MutationFuzzer.Run("handshake", [seed, seed[..8], Handshake.For(new BlockHasher(Hasher.Layout, "x"), 7).ToArray()], input =>
        {
            if (input.Length < 8 || Handshake.CheckPrefix(input, out int length, out string? reason) != TransferFault.None)
            {
                return;
            }

            Assert.Null(reason);
            if (input.Length < length || !Handshake.TryRead(input.AsSpan(0, length), out Handshake remote))
            {
                return;
            }

            var again = new byte[Handshake.Bytes];
            remote.WriteTo(again);
            Assert.Equal(input.AsSpan(0, length).ToArray(), again);
            _ = Handshake.Compare(remote, local, out _);
        });
    }

    [Fact]
    public void ReceiverMessageParserNeverThrowsAndRoundTripsWhatVerifies()
    {
        var reply = new byte[ReceiverMessage.MaxBytes];
        int replyLength = new ReceiverMessage(ReceiverMessage.Reply, TransferFault.None, 0, 0, 0, null).WriteTo(reply);
        var receipt = new byte[ReceiverMessage.MaxBytes];
        int receiptLength = new ReceiverMessage(ReceiverMessage.Receipt, TransferFault.LayoutMismatch, 9, 7, 2,
            "layout differs: héllo").WriteTo(receipt);
        MutationFuzzer.Run("receiver-message", [reply[..replyLength], receipt[..receiptLength]], input =>
        {
            if (input.Length < ReceiverMessage.HeaderBytes)
            {
                return;
            }

            int length = ReceiverMessage.MessageLength(input, out TransferFault fault, out string? error);
            if (length < 0)
            {
                Assert.NotEqual(TransferFault.None, fault);
                Assert.False(string.IsNullOrEmpty(error));
                return;
            }

            if (input.Length < length || !ReceiverMessage.TryRead(input.AsSpan(0, length), out ReceiverMessage message))
            {
                return;
            }

            // A reason that is not valid UTF-8 decodes lossily, so only a well-formed one must round-trip.
            if (message.Reason is null || Encoding.UTF8.GetByteCount(message.Reason) == length - ReceiverMessage.HeaderBytes - WireFormat.ChecksumBytes)
            {
                Assert.True(message.Type is ReceiverMessage.Reply or ReceiverMessage.Receipt);
            }
        });
    }
}

internal static class HandshakeBytes
{
    public static byte[] ToArray(this Handshake handshake)
    {
        var bytes = new byte[Handshake.Bytes];
        handshake.WriteTo(bytes);
        return bytes;
    }
}
