using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// Follows one vLLM-format KV-event publisher (a vLLM server, or a <see cref="ZmqKvEventPublisher"/>): receives
/// batches in sequence order, asks the publisher's replay socket for what it missed whenever it connects (so a
/// subscriber that starts after the publisher learns its state with no further event) and to fill a sequence gap, and
/// tells its owner to forget the publisher's state whenever it cannot know it (an unfillable gap, a restart, a
/// malformed batch).
/// </summary>
/// <remarks>
/// The protocol is vLLM's (vllm/distributed/kv_events.py, examples/online_serving/kv_events_subscriber.py). Joining is
/// the ZeroMQ guide's "Clone" pattern (chapter 5): subscribe first, then fetch the state, then drop the live messages
/// the fetched state already covers. Here the state is the replay buffer, and a live batch is dropped when a replayed
/// batch had its sequence and the same payload (a restarted vLLM reuses sequences, with other payloads).
/// </remarks>
public sealed class ZmqKvEventSubscriber : IDisposable
{
    private const long CatchUpDelayMs = 1_000; // a second replay after each sync, in case the subscription landed late
    private readonly string _endpoint;
    private readonly string _topic;
    private readonly ReplayClient? _replay;
    private readonly ILogger _logger;
    private readonly Action<VllmEventBatch> _onBatch;
    private readonly Action _onReset;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _connected = new();
    private readonly Dictionary<long, ulong> _replayed = []; // sequence → payload hash of the last sync's batches
    private ConnectionWatch? _watch;         // the subscriber thread's, while it runs
    private volatile bool _stopping;
    private long _expected = -1;
    private bool _empty = true;              // nothing applied since the start or the last reset
    private long _syncAt = long.MaxValue;    // when to ask the replay socket next (Environment.TickCount64)
    private bool _catchUpNext;
    private byte[]? _last;                   // the last batch applied (null when empty): a replay must bring it back byte for byte

    /// <summary>Connects to a publisher and starts following it on a thread of its own.</summary>
    /// <param name="endpoint">The publisher's PUB endpoint, e.g. <c>tcp://host:5557</c>.</param>
    /// <param name="replayEndpoint">Its ROUTER replay endpoint (e.g. <c>tcp://host:5558</c>), or null.</param>
    /// <param name="topic">The topic to subscribe to (vLLM's default: empty, everything).</param>
    /// <param name="onBatch">Called, on the subscriber's thread, with each batch in sequence order.</param>
    /// <param name="onReset">Called when everything learnt from this publisher so far must be forgotten.</param>
    public ZmqKvEventSubscriber(string endpoint, string? replayEndpoint, string topic, Action<VllmEventBatch> onBatch, Action onReset)
        : this(endpoint, new ZmqKvEventSubscriberOptions { ReplayEndpoint = replayEndpoint, Topic = topic }, onBatch, onReset)
    {
    }

    /// <summary>Connects to a publisher and starts following it on a thread of its own.</summary>
    /// <param name="endpoint">The publisher's PUB endpoint, e.g. <c>tcp://host:5557</c>.</param>
    /// <param name="options">The replay endpoint, the topic and the replay's timeouts.</param>
    /// <param name="onBatch">Called, on the subscriber's thread, with each batch in sequence order.</param>
    /// <param name="onReset">Called when everything learnt from this publisher so far must be forgotten.</param>
    /// <param name="logger">Where replays that time out or fail are logged; none when null.</param>
    public ZmqKvEventSubscriber(string endpoint, ZmqKvEventSubscriberOptions options, Action<VllmEventBatch> onBatch, Action onReset,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _endpoint = endpoint;
        _topic = options.Topic;
        _logger = logger ?? NullLogger.Instance;
        _replay = options.ReplayEndpoint is null ? null : new ReplayClient(options.ReplayEndpoint, options, _logger, Abandon);
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

    /// <summary>Replays asked for on connecting (and once more a second later), with the batches they brought applied.</summary>
    public long Syncs { get; private set; }

    /// <summary>Live batches dropped because a replay had already applied them.</summary>
    public long DuplicatesDropped { get; private set; }

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
        using var watch = new ConnectionWatch(sub); // a (re)connection asks the replay socket for what was missed
        _watch = watch;
        sub.Connect(_endpoint);
        sub.Subscribe(_topic);
        bool inproc = _endpoint.StartsWith("inproc://", StringComparison.Ordinal); // raises no connect event
        _connected.Set();
        var message = new NetMQMessage();
        long watchAt = 0;
        while (!_stopping)
        {
            long now = Environment.TickCount64;
            if (now >= watchAt)
            {
                watchAt = now + 50; // the monitor is looked at every 50 ms, not for every batch
                if (watch.TakeConnected() || inproc)
                {
                    (_syncAt, _catchUpNext, inproc) = (now, true, false);
                }
            }

            if (_replay is not null && Environment.TickCount64 >= _syncAt)
            {
                _syncAt = _catchUpNext ? Environment.TickCount64 + CatchUpDelayMs : long.MaxValue;
                _catchUpNext = false;
                Sync(_replay);
            }

            if (sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref message))
            {
                Receive(message);
            }
        }
    }

    /// <summary>Whether a replay in progress should stop waiting: the subscriber stops, or the publisher went away.</summary>
    private bool Abandon() => _stopping || _watch?.Disconnected == true;

    private void Receive(NetMQMessage message)
    {
        if (message.FrameCount != 3 || message[1].BufferSize != 8)
        {
            Reset();
            return;
        }

        long sequence = BinaryPrimitives.ReadInt64BigEndian(message[1].Buffer);
        byte[] payload = message[2].ToByteArray();
        if (_expected >= 0 && sequence < _expected)
        {
            if (_replayed.TryGetValue(sequence, out ulong hash) && hash == XxHash3.HashToUInt64(payload))
            {
                DuplicatesDropped++; // published while the replay was being answered: applied already
                return;
            }

            Reset(); // the publisher restarted: its sequence starts over
            _expected = 0;
        }

        _replayed.Clear(); // live batches are past the replayed ones now
        if (!_catchUpNext)
        {
            _syncAt = long.MaxValue; // a live batch is here: a gap from now on shows in its sequence
        }

        long wanted = Math.Max(_expected, 0);
        VllmEventBatch? batch = TryDecode(payload); // once, for the resync test and the apply
        if (sequence > wanted && batch is { Events: [{ Kind: Events.KvEventKind.AllCleared }, ..] })
        {
            Reset(); // a resync point (a KvTiering publisher's first batch): nothing before it matters, nothing is replayed
        }
        else if (sequence > wanted)
        {
            FillGap(wanted, sequence);
        }

        Apply(sequence, payload, batch);
    }

    private static VllmEventBatch? TryDecode(byte[] payload)
    {
        try
        {
            return VllmWireFormat.Decode(payload);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// Asks the replay socket for what this subscriber may have missed while it was not connected: everything the
    /// publisher holds when nothing is known, else everything after the last batch applied, which must come back
    /// first, byte for byte, for the history to go on.
    /// </summary>
    private void Sync(ReplayClient replay)
    {
        bool continues = false;
        long from = _empty ? 0 : _expected - 1;
        List<(long Sequence, byte[] Payload)>? replayed = _empty ? replay.Replay(0) : replay.ReplayAfter(from, _last!, out continues);
        if (replayed is null)
        {
            Reset(); // what happened while disconnected is unknown: forget rather than over-report
            return;
        }

        Syncs++;
        if (!continues)
        {
            // Not this subscriber's history: a restart, or more missed than the publisher buffers. Forget, then learn
            // what the buffer holds: from nothing, a run of the publisher's latest batches never over-reports.
            Reset();
        }

        foreach ((long sequence, byte[] payload) in replayed)
        {
            _replayed[sequence] = XxHash3.HashToUInt64(payload);
            Apply(sequence, payload);
        }

        if (replayed.Count > 0)
        {
            KvEventsLog.Synced(_logger, _endpoint, replayed.Count, replay.Endpoint, from);
        }
    }

    private void FillGap(long from, long upTo)
    {
        bool continues = false;
        List<(long Sequence, byte[] Payload)>? replayed = _replay is null ? null
            : _empty ? _replay.Replay(from) : _replay.ReplayAfter(from - 1, _last!, out continues);
        if (replayed is null)
        {
            Reset(); // what happened in between is unknown: forget rather than over-report
            return;
        }

        if (continues || (_empty && replayed is [var first, ..] && first.Sequence == from))
        {
            GapsReplayed++;
        }
        else
        {
            // Not the batches asked for: a restarted publisher (KvTiering's starts its sequence from the clock, above
            // any earlier run's; vLLM's from 0) or a gap longer than its buffer. Forget, then learn what the buffer holds.
            Reset();
        }

        foreach ((long s, byte[] payload) in replayed)
        {
            if (s < upTo)
            {
                Apply(s, payload);
            }
        }
    }

    private void Apply(long sequence, byte[] payload) => Apply(sequence, payload, TryDecode(payload));

    private void Apply(long sequence, byte[] payload, VllmEventBatch? batch)
    {
        if (batch is null)
        {
            MalformedBatches++;
            Reset();
            _expected = sequence + 1;
            return;
        }

        _onBatch(batch);
        Batches++;
        _expected = sequence + 1;
        _last = payload;
        _empty = false;
    }

    private void Reset()
    {
        if (_empty)
        {
            return; // nothing learnt since the start or the last reset
        }

        Resets++;
        _empty = true;
        _last = null;
        _onReset();
    }
}
