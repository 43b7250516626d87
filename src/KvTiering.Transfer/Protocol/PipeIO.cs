using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace KvTiering.Transfer.Protocol;

/// <summary>Small reads and writes of the protocol's fixed-size messages.</summary>
internal static class PipeIO
{
    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes, or fewer when the stream ends first; returns how many it
    /// copied. What it copies is consumed.
    /// </summary>
    public static async ValueTask<int> ReadAtMostAsync(PipeReader reader, Memory<byte> destination, Deadline deadline)
    {
        while (true)
        {
            deadline.Restart();
            ReadResult read = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (buffer.Length >= destination.Length)
            {
                buffer.Slice(0, destination.Length).CopyTo(destination.Span);
                reader.AdvanceTo(buffer.GetPosition(destination.Length));
                return destination.Length;
            }

            if (read.IsCompleted)
            {
                int got = (int)buffer.Length;
                buffer.CopyTo(destination.Span);
                reader.AdvanceTo(buffer.End);
                return got;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes one receiver message and flushes; false when the reader has gone.</summary>
    public static async ValueTask<bool> WriteMessageAsync(PipeWriter writer, ReceiverMessage message, Deadline deadline)
    {
        Write(writer, message);
        deadline.Restart();
        FlushResult flush = await writer.FlushAsync(deadline.Token).ConfigureAwait(false);
        return !flush.IsCompleted;
    }

    /// <summary>Whether <paramref name="exception"/> means the connection failed (rather than a bug or a cancellation).</summary>
    public static bool IsTransportFailure(Exception exception) =>
        exception is IOException or SocketException or ObjectDisposedException { ObjectName: "System.Net.Sockets.Socket" };

    /// <summary>"no progress for 2.5 s".</summary>
    public static string Idle(TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"no progress for {timeout.TotalSeconds:0.###} s (idle timeout)");

    private static void Write(PipeWriter writer, ReceiverMessage message) =>
        writer.Advance(message.WriteTo(writer.GetSpan(ReceiverMessage.MaxBytes)));
}
