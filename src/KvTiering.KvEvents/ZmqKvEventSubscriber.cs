using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// Follows one vLLM-format KV-event publisher (a vLLM server, or a <see cref="ZmqKvEventPublisher"/>): receives
/// batches in sequence order, fills a sequence gap from the publisher's replay socket, and tells its owner to forget
/// the publisher's state whenever it cannot know it (an unfillable gap, a restart, a malformed batch).
/// </summary>
/// <remarks>The protocol is vLLM's (vllm/distributed/kv_events.py, examples/online_serving/kv_events_subscriber.py).</remarks>
public sealed class ZmqKvEventSubscriber : IDisposable
{
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromSeconds(2);
    private readonly string _endpoint;
    private readonly string? _replayEndpoint;
    private readonly string _topic;
    private readonly Action<VllmEventBatch> _onBatch;
    private readonly Action _onReset;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _connected = new();
    private volatile bool _stopping;
    private long _expected = -1;

    /// <summary>Connects to a publisher and starts following it on a thread of its own.</summary>
    /// <param name="endpoint">The publisher's PUB endpoint, e.g. <c>tcp://host:5557</c>.</param>
    /// <param name="replayEndpoint">Its ROUTER replay endpoint (e.g. <c>tcp://host:5558</c>), or null.</param>
    /// <param name="topic">The topic to subscribe to (vLLM's default: empty, everything).</param>
    /// <param name="onBatch">Called, on the subscriber's thread, with each batch in sequence order.</param>
    /// <param name="onReset">Called when everything learnt from this publisher so far must be forgotten.</param>
    public ZmqKvEventSubscriber(string endpoint, string? replayEndpoint, string topic, Action<VllmEventBatch> onBatch, Action onReset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentNullException.ThrowIfNull(topic);
        _endpoint = endpoint;
        _replayEndpoint = replayEndpoint;
        _topic = topic;
        _onBatch = onBatch ?? throw new ArgumentNullException(nameof(onBatch));
        _onReset = onReset ?? throw new ArgumentNullException(nameof(onReset));
        _thread = new Thread(Run) { IsBackground = true, Name = "kvtiering-kv-events-sub" };
        _thread.Start();
        _connected.Wait();
    }

    /// <summary>Batches applied.</summary>
    public long Batches { get; private set; }

    /// <summary>Gaps filled from the replay socket.</summary>
    public long GapsReplayed { get; private set; }

    /// <summary>Times the publisher's state was forgotten (unfillable gap, restart, malformed batch).</summary>
    public long Resets { get; private set; }

    /// <summary>Batches that did not decode.</summary>
    public long MalformedBatches { get; private set; }

    /// <summary>Stops following.</summary>
    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _connected.Dispose();
    }

    private void Run()
    {
        using var sub = new SubscriberSocket();
        sub.Connect(_endpoint);
        sub.Subscribe(_topic);
        _connected.Set();
        var message = new NetMQMessage();
        while (!_stopping)
        {
            if (!sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref message))
            {
                continue;
            }

            if (message.FrameCount != 3 || message[1].BufferSize != 8)
            {
                Reset();
                continue;
            }

            long sequence = BinaryPrimitives.ReadInt64BigEndian(message[1].Buffer);
            if (_expected >= 0 && sequence < _expected)
            {
                Reset(); // the publisher restarted: its sequence starts over
                _expected = 0;
            }

            long wanted = Math.Max(_expected, 0);
            if (sequence > wanted)
            {
                FillGap(wanted, sequence);
            }

            Apply(sequence, message[2].ToByteArray());
        }
    }

    private void FillGap(long from, long upTo)
    {
        List<(long Sequence, byte[] Payload)>? replayed = _replayEndpoint is null ? null : Replay(from);
        if (replayed is { Count: > 0 } && replayed[0].Sequence == from)
        {
            GapsReplayed++;
        }
        else if (replayed is { Count: > 0 } && StartsWithClear(replayed[0].Payload))
        {
            // Not the batches asked for, but a resync point: a restarted publisher (KvTiering's starts its sequence
            // from the clock, above any earlier run's) whose first batch clears and restates its whole cache.
            Reset();
        }
        else
        {
            Reset(); // what happened in between is unknown: forget rather than over-report
            return;
        }

        foreach ((long s, byte[] payload) in replayed)
        {
            if (s < upTo)
            {
                Apply(s, payload);
            }
        }
    }

    private static bool StartsWithClear(byte[] payload)
    {
        try
        {
            VllmEventBatch batch = VllmWireFormat.Decode(payload);
            return batch.Events.Count > 0 && batch.Events[0].Kind == Events.KvEventKind.AllCleared;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private List<(long, byte[])>? Replay(long from)
    {
        using var dealer = new DealerSocket();
        dealer.Connect(_replayEndpoint!);
        var start = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(start, from);
        dealer.SendMoreFrameEmpty().SendFrame(start);
        var reply = new NetMQMessage();
        var batches = new List<(long, byte[])>();
        while (dealer.TryReceiveMultipartMessage(ReplayTimeout, ref reply))
        {
            if (reply.FrameCount != 3 || reply[1].BufferSize != 8)
            {
                return null;
            }

            long sequence = BinaryPrimitives.ReadInt64BigEndian(reply[1].Buffer);
            if (sequence == -1)
            {
                return batches;
            }

            batches.Add((sequence, reply[2].ToByteArray()));
        }

        return null; // no end marker in time
    }

    private void Apply(long sequence, byte[] payload)
    {
        VllmEventBatch batch;
        try
        {
            batch = VllmWireFormat.Decode(payload);
        }
        catch (InvalidDataException)
        {
            MalformedBatches++;
            Reset();
            _expected = sequence + 1;
            return;
        }

        _onBatch(batch);
        Batches++;
        _expected = sequence + 1;
    }

    private void Reset()
    {
        Resets++;
        _onReset();
    }
}
