using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// The publisher's last batches and the ROUTER socket's side of vLLM's replay protocol: a request names a start
/// sequence, the answer is every buffered batch from it, then sequence −1 (vLLM's <c>ZmqEventPublisher</c>). Owned by
/// the publisher's thread, like the socket.
/// </summary>
internal sealed class ReplayBuffer(int capacity)
{
    private static readonly byte[] EndOfReplay = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    private readonly Queue<(long Sequence, byte[] Payload)> _batches = new();
    private readonly NetMQMessage _request = new(); // reused: the old loop made one every millisecond

    /// <summary>Keeps a published batch, dropping the oldest beyond the capacity.</summary>
    public void Add(long sequence, byte[] payload)
    {
        _batches.Enqueue((sequence, payload));
        if (_batches.Count > capacity)
        {
            _batches.Dequeue();
        }
    }

    /// <summary>Answers every replay request waiting on <paramref name="router"/>.</summary>
    public void Serve(RouterSocket router)
    {
        NetMQMessage? request = _request;
        while (router.TryReceiveMultipartMessage(TimeSpan.Zero, ref request))
        {
            // [identity, empty delimiter, 8-byte big-endian start sequence], as vLLM's REQ clients send it.
            if (request is null || request.FrameCount != 3 || request[2].BufferSize != 8)
            {
                continue;
            }

            byte[] identity = request[0].ToByteArray();
            long start = BinaryPrimitives.ReadInt64BigEndian(request[2].Buffer);
            foreach ((long sequence, byte[] payload) in _batches)
            {
                if (sequence >= start)
                {
                    var seq = new byte[8];
                    BinaryPrimitives.WriteInt64BigEndian(seq, sequence);
                    router.SendMoreFrame(identity).SendMoreFrameEmpty().SendMoreFrame(seq).SendFrame(payload);
                }
            }

            router.SendMoreFrame(identity).SendMoreFrameEmpty().SendMoreFrame(EndOfReplay).SendFrame([]);
        }
    }
}
