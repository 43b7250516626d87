using System.Buffers;
using System.IO.Pipelines;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// An in-memory connection whose sender-to-receiver direction runs through a relay that can flip a byte, drop a
/// range of bytes, re-chunk the stream into small segments, or cut the connection after a given byte (cleanly, or
/// with an error as a reset would). The receiver-to-sender direction is direct.
/// </summary>
internal sealed class FaultyLink
{
    public long CutAfter { get; init; } = -1;

    public bool CutWithError { get; init; }

    public long CorruptAt { get; init; } = -1;

    public long DropFrom { get; init; } = -1;

    public int DropCount { get; init; }

    public int ChunkBytes { get; init; } = int.MaxValue;

    /// <summary>Bytes the relay saw from the sender.</summary>
    public long BytesSeen { get; private set; }

    public (IDuplexPipe Sender, IDuplexPipe Receiver, Task Relay) Open(PipeOptions options)
    {
        var senderOut = new Pipe(options);
        var receiverIn = new Pipe(options);
        var back = new Pipe(options);
        Task relay = Task.Run(() => RelayAsync(senderOut.Reader, receiverIn.Writer));
        return (new DuplexPipe(back.Reader, senderOut.Writer), new DuplexPipe(receiverIn.Reader, back.Writer), relay);
    }

    private async Task RelayAsync(PipeReader from, PipeWriter to)
    {
        long position = 0;
        while (true)
        {
            ReadResult read = await from.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                for (int offset = 0; offset < segment.Length;)
                {
                    int take = Math.Min(segment.Length - offset, ChunkBytes);
                    if (CutAfter >= 0)
                    {
                        take = (int)Math.Min(take, CutAfter - position);
                    }

                    Copy(segment.Span.Slice(offset, take), to, position);
                    position += take;
                    offset += take;
                    BytesSeen = position;
                    if (position == CutAfter)
                    {
                        await to.FlushAsync();
                        await to.CompleteAsync(CutWithError ? new IOException("connection reset (test)") : null);
                        from.AdvanceTo(read.Buffer.End);
                        await from.CompleteAsync();
                        return;
                    }

                    if (ChunkBytes != int.MaxValue)
                    {
                        await to.FlushAsync();
                    }
                }
            }

            from.AdvanceTo(read.Buffer.End);
            FlushResult flush = await to.FlushAsync();
            if (read.IsCompleted || flush.IsCompleted)
            {
                await to.CompleteAsync();
                await from.CompleteAsync();
                return;
            }
        }
    }

    private void Copy(ReadOnlySpan<byte> bytes, PipeWriter to, long position)
    {
        long end = position + bytes.Length;
        bool touchesDrop = DropCount > 0 && DropFrom < end && DropFrom + DropCount > position;
        bool touchesCorrupt = CorruptAt >= position && CorruptAt < end;
        if (!touchesDrop && !touchesCorrupt)
        {
            bytes.CopyTo(to.GetSpan(bytes.Length));
            to.Advance(bytes.Length);
            return;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            long at = position + i;
            if (at >= DropFrom && at < DropFrom + DropCount)
            {
                continue;
            }

            Span<byte> span = to.GetSpan(1);
            span[0] = at == CorruptAt ? (byte)(bytes[i] ^ 0xFF) : bytes[i];
            to.Advance(1);
        }
    }
}
