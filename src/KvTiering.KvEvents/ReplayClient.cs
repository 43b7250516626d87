using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// The client side of vLLM's replay protocol: asks a publisher's ROUTER socket for every buffered batch from a sequence
/// on (a DEALER sends <c>["", start]</c>; the answer is one <c>["", sequence, payload]</c> per batch, then sequence −1),
/// asks again when the publisher stays silent for <see cref="ZmqKvEventSubscriberOptions.ReplayTimeout"/>, and logs
/// each timeout. Used by one subscriber thread.
/// </summary>
/// <remarks>
/// vLLM's example client uses a REQ socket, which receives only the first reply; a DEALER receives them all. Each attempt
/// uses a fresh socket, so a late answer to an abandoned attempt is never mistaken for the current one.
/// </remarks>
internal sealed class ReplayClient(string endpoint, ZmqKvEventSubscriberOptions options, ILogger logger, Func<bool> abandon)
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100); // how often a wait looks at abandon

    /// <summary>The ROUTER endpoint asked.</summary>
    public string Endpoint => endpoint;

    /// <summary>
    /// Every batch the publisher holds from <paramref name="from"/> on, in order; null when no complete answer came in
    /// <see cref="ZmqKvEventSubscriberOptions.ReplayAttempts"/> attempts, the answer was malformed, or the replay was
    /// abandoned (the subscriber stops, or the publisher went away).
    /// </summary>
    public List<(long Sequence, byte[] Payload)>? Replay(long from)
    {
        for (int attempt = 1; attempt <= options.ReplayAttempts; attempt++)
        {
            switch (TryReplay(from, out List<(long, byte[])> batches))
            {
                case Answer.Complete:
                    return batches;
                case Answer.Malformed:
                    KvEventsLog.ReplayFailed(logger, from, endpoint, "a reply was not [\"\", sequence, payload]");
                    return null;
                case Answer.Abandoned:
                    KvEventsLog.ReplayFailed(logger, from, endpoint, "abandoned: the publisher disconnected, or the subscriber stopped");
                    return null;
                default:
                    KvEventsLog.ReplayTimedOut(logger, from, endpoint, options.ReplayTimeout, attempt, options.ReplayAttempts);
                    break;
            }
        }

        KvEventsLog.ReplayFailed(logger, from, endpoint, $"no complete answer in {options.ReplayAttempts} attempts");
        return null;
    }

    /// <summary>
    /// The batches after <paramref name="sequence"/>, the last one the caller applied, and whether they continue what it
    /// applied. They do when the publisher's copy of that batch comes back first, byte for byte: a restarted vLLM that
    /// has published as many batches as before answers with the same sequence numbers but other payloads (each batch
    /// carries its time). When they do not continue it, every batch the publisher holds is returned, from its first.
    /// </summary>
    /// <returns>The batches (after <paramref name="sequence"/> when <paramref name="continues"/>); null as for <see cref="Replay"/>.</returns>
    public List<(long Sequence, byte[] Payload)>? ReplayAfter(long sequence, byte[] payload, out bool continues)
    {
        List<(long Sequence, byte[] Payload)>? batches = Replay(sequence);
        continues = batches is [var first, ..] && first.Sequence == sequence && first.Payload.AsSpan().SequenceEqual(payload);
        if (continues)
        {
            batches!.RemoveAt(0); // applied already
            return batches;
        }

        // Another history. If it is numbered like this one (vLLM restarts from 0), its earlier batches are buffered
        // too: ask from the start. Otherwise everything buffered lies after the sequence and has come back already.
        return batches is null || (batches.Count > 0 && batches[0].Sequence > sequence) ? batches : Replay(0);
    }

    private Answer TryReplay(long from, out List<(long, byte[])> batches)
    {
        batches = [];
        using var dealer = new DealerSocket();
        dealer.Options.Linger = TimeSpan.Zero; // an abandoned request is not worth delivering
        dealer.Connect(endpoint);
        var start = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(start, from);
        dealer.SendMoreFrameEmpty().SendFrame(start);
        var reply = new NetMQMessage();
        long silentSince = Environment.TickCount64;
        while (!abandon())
        {
            if (!dealer.TryReceiveMultipartMessage(Slice, ref reply))
            {
                if (Environment.TickCount64 - silentSince >= (long)options.ReplayTimeout.TotalMilliseconds)
                {
                    return Answer.TimedOut;
                }

                continue;
            }

            silentSince = Environment.TickCount64;
            if (reply.FrameCount != 3 || reply[1].BufferSize != 8)
            {
                return Answer.Malformed;
            }

            long sequence = BinaryPrimitives.ReadInt64BigEndian(reply[1].Buffer);
            if (sequence == -1)
            {
                return Answer.Complete;
            }

            batches.Add((sequence, reply[2].ToByteArray()));
        }

        return Answer.Abandoned;
    }

    private enum Answer
    {
        Complete,
        TimedOut,
        Malformed,
        Abandoned,
    }
}
