using System.Buffers;
using System.IO.Pipelines;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer.Tests;

/// <summary>Plays one side of the protocol by hand, byte by byte, for tests that need a misbehaving or stalled peer.</summary>
internal static class RawPeer
{
    /// <summary>Reads a sender's 64-byte handshake and answers "accepted".</summary>
    public static async Task<byte[]> AcceptHandshakeAsync(IDuplexPipe receiverEnd)
    {
        byte[] hello = await ReadExactlyAsync(receiverEnd.Input, Handshake.Bytes);
        await WriteAsync(receiverEnd.Output, new ReceiverMessage(ReceiverMessage.Reply, TransferFault.None, 0, 0, 0, null));
        return hello;
    }

    /// <summary>Writes a receipt.</summary>
    public static Task WriteReceiptAsync(PipeWriter output, long received, long stored) =>
        WriteAsync(output, new ReceiverMessage(ReceiverMessage.Receipt, TransferFault.None, received, stored, 0, null));

    public static async Task WriteAsync(PipeWriter output, ReceiverMessage message)
    {
        var buffer = new byte[ReceiverMessage.MaxBytes];
        int length = message.WriteTo(buffer);
        await output.WriteAsync(buffer.AsMemory(0, length));
    }

    /// <summary>Reads one receiver message (reply or receipt).</summary>
    public static async Task<ReceiverMessage> ReadMessageAsync(PipeReader input)
    {
        byte[] header = await ReadExactlyAsync(input, ReceiverMessage.HeaderBytes);
        int length = ReceiverMessage.MessageLength(header, out TransferFault fault, out string? error);
        Assert.True(length > 0, $"{fault}: {error}");
        byte[] rest = await ReadExactlyAsync(input, length - ReceiverMessage.HeaderBytes);
        byte[] whole = [.. header, .. rest];
        Assert.True(ReceiverMessage.TryRead(whole, out ReceiverMessage message), "the message failed its checksum");
        return message;
    }

    public static async Task<byte[]> ReadExactlyAsync(PipeReader input, int count)
    {
        while (true)
        {
            ReadResult read = await input.ReadAsync();
            if (read.Buffer.Length >= count)
            {
                byte[] bytes = read.Buffer.Slice(0, count).ToArray();
                input.AdvanceTo(read.Buffer.GetPosition(count));
                return bytes;
            }

            Assert.False(read.IsCompleted, $"the stream ended {read.Buffer.Length} bytes into {count}");
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Reads and discards bytes until <paramref name="count"/> have gone by or the stream ends; returns how many.</summary>
    public static async Task<long> ReadToCountAsync(PipeReader input, long count)
    {
        long seen = 0;
        while (seen < count)
        {
            ReadResult read = await input.ReadAsync();
            long take = Math.Min(read.Buffer.Length, count - seen);
            seen += take;
            input.AdvanceTo(read.Buffer.GetPosition(take));
            if (read.IsCompleted && take == read.Buffer.Length)
            {
                break;
            }
        }

        return seen;
    }

    /// <summary>The handshake a sender of <paramref name="hasher"/> would send.</summary>
    public static byte[] Hello(KvTiering.Blocks.BlockHasher hasher, long session = 0)
    {
        var hello = new byte[Handshake.Bytes];
        Handshake.For(hasher, session).WriteTo(hello);
        return hello;
    }
}
