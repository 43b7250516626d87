using System.Buffers;
using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// The publisher's send path: numbers each batch (one more than the last, from the first sequence), encodes it on
/// vLLM's wire format, sends it on the PUB socket as <c>(topic, 8-byte big-endian sequence, payload)</c> and keeps it
/// for replay. Owned by the publisher's thread, like the socket.
/// </summary>
internal sealed class BatchSender(long firstSequence, string topic, ReplayBuffer replay)
{
    private readonly byte[] _topic = System.Text.Encoding.UTF8.GetBytes(topic);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private long _sent;

    /// <summary>Batches sent so far (read from any thread).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Sends <paramref name="batch"/> under the next sequence number.</summary>
    public void Send(XPublisherSocket pub, VllmEventBatch batch)
    {
        _buffer.ResetWrittenCount();
        VllmWireFormat.Write(batch, _buffer);
        byte[] payload = _buffer.WrittenSpan.ToArray();
        long sequence = firstSequence + _sent;
        var seq = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(seq, sequence);
        pub.SendMoreFrame(_topic).SendMoreFrame(seq).SendFrame(payload);
        replay.Add(sequence, payload);
        Interlocked.Increment(ref _sent);
    }
}
