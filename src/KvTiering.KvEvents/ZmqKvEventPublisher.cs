using System.Threading.Channels;
using KvTiering.Events;
using KvTiering.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// Publishes a store's KV events on vLLM's ZeroMQ wire format, so KV-aware routers that follow vLLM (Dynamo's KV
/// router, llm-d's KV-cache indexer) see every tier of a KvTiering store: a PUB socket sending
/// <c>(topic, 8-byte big-endian sequence, msgpack EventBatch)</c> and, optionally, a ROUTER socket that replays buffered
/// batches from a requested sequence, ending with sequence −1 (vLLM's <c>ZmqEventPublisher</c>).
/// </summary>
/// <remarks>
/// Unlike vLLM, whose sequence starts at 0, the first sequence is the start time in microseconds, so a restart is
/// never mistaken for a continuation; the first batch (<c>AllBlocksCleared</c> and a snapshot) is the resync point.
/// <para>
/// The publisher subscribes to the store with a snapshot, so its first batch is <c>AllBlocksCleared</c> followed by
/// every resident block: a subscriber that sees a publisher restart (the sequence starts over) resyncs from it. One
/// thread owns the sockets (ZeroMQ sockets are single-threaded); the store never waits for it.
/// </para>
/// </remarks>
public sealed class ZmqKvEventPublisher : IDisposable
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(20); // how often an idle thread looks at its sockets
    private readonly ZmqKvEventPublisherOptions _options;
    private readonly ILogger _logger;
    private readonly KvEventSubscription? _subscription;
    private readonly ChannelReader<KvEvent> _events;
    private readonly QueueWait _idle;
    private readonly KvEventBatcher _batcher;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private readonly SubscriptionWatch _subscriptions;
    private readonly ReplayBuffer _replay;
    private readonly BatchSender _sender;
    private Exception? _startFailure;
    private volatile bool _stopping;
    private readonly long _firstSequence;
    private volatile bool _holding;
    private volatile bool _pending; // a batch is being built or sent: Flush waits for it as for a queued event
    private long _published;

    /// <summary>Starts publishing <paramref name="store"/>'s events.</summary>
    /// <param name="store">The store whose events to publish.</param>
    /// <param name="options">Where and how to publish.</param>
    /// <param name="logger">Where the publisher logs (events it had to drop at shutdown), or null for nowhere.</param>
    /// <exception cref="NetMQ.NetMQException">An endpoint cannot be bound or connected.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ZmqKvEventPublisher(TieredKvStore store, ZmqKvEventPublisherOptions options, ILogger? logger = null)
        : this(Subscribe(store, options), null, options.BlockSize ?? store.Layout?.TokensPerBlock ?? 0, options, logger)
    {
    }

    /// <summary>
    /// Starts publishing the events <paramref name="events"/> yields, from any source: a server that keeps its KV state
    /// in another shape than one block per store entry (the agent server's prefix snapshots) writes there the block
    /// events a router should see. Each event's <see cref="KvEvent.Key"/> low half is the published block hash (its
    /// <see cref="KvEvent.Parent"/>'s the parent's), its <see cref="KvEvent.Tier"/> and <see cref="KvEvent.Medium"/>
    /// where the block is. The caller writes without waiting and counts what it drops (<see cref="EventsDropped"/> is 0).
    /// </summary>
    /// <param name="events">The events, in order.</param>
    /// <param name="blockSize">Tokens per block, reported in <c>BlockStored</c> (<see cref="ZmqKvEventPublisherOptions.BlockSize"/> wins when set).</param>
    /// <param name="options">Where and how to publish.</param>
    /// <param name="logger">Where the publisher logs (events it had to drop at shutdown), or null for nowhere.</param>
    /// <exception cref="NetMQ.NetMQException">An endpoint cannot be bound or connected.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ZmqKvEventPublisher(ChannelReader<KvEvent> events, int blockSize, ZmqKvEventPublisherOptions options, ILogger? logger = null)
        : this(null, events ?? throw new ArgumentNullException(nameof(events)),
            (options ?? throw new ArgumentNullException(nameof(options))).BlockSize ?? blockSize, options, logger)
    {
    }

    private ZmqKvEventPublisher(KvEventSubscription? subscription, ChannelReader<KvEvent>? events, int blockSize, ZmqKvEventPublisherOptions options,
        ILogger? logger)
    {
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        // Sequences start from the clock (microseconds), so a restarted publisher's numbers lie above its previous
        // run's: a subscriber sees a gap it cannot fill from the new replay buffer and resyncs from the new first batch.
        _firstSequence = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        _holding = options.HoldUntilSubscribed;
        _batcher = new KvEventBatcher(blockSize, options.LoraName, options.CacheSalt);
        _replay = new ReplayBuffer(options.BufferSteps);
        _sender = new BatchSender(_firstSequence, options.Topic, _replay);
        _subscriptions = new SubscriptionWatch(_sender, options.DataParallelRank);
        _subscription = subscription;
        _events = events ?? subscription!.Reader;
        _idle = new QueueWait(_events);
        _thread = new Thread(Run) { IsBackground = true, Name = "kvtiering-kv-events" };
        _thread.Start();
        _ready.Wait();
        if (_startFailure is not null)
        {
            _subscription?.Dispose();
            throw _startFailure;
        }
    }

    /// <summary>The PUB socket's actual endpoint (an ephemeral port resolved).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The ROUTER socket's actual endpoint, or null.</summary>
    public string? ReplayEndpoint { get; private set; }

    /// <summary>Events published so far.</summary>
    public long EventsPublished => Interlocked.Read(ref _published);

    /// <summary>Sequence number of the first batch (microseconds since the Unix epoch at start).</summary>
    public long FirstSequence => _firstSequence;

    /// <summary>Batches (messages) published so far, the empty ones that greet a subscriber included.</summary>
    public long BatchesPublished => _sender.Sent;

    /// <summary>Store events lost because this publisher fell behind (see <see cref="KvEventSubscription.Dropped"/>).</summary>
    public long EventsDropped => _subscription?.Dropped ?? 0;

    /// <summary>
    /// Waits until a subscriber has subscribed (the PUB socket is an XPUB that sees subscriptions), so a replay started
    /// after this returns loses nothing to ZeroMQ's slow-joiner window.
    /// </summary>
    /// <returns>False if no subscriber came within <paramref name="timeout"/>.</returns>
    /// <remarks>With <see cref="ZmqKvEventPublisherOptions.HoldUntilSubscribed"/>, publishing starts when this returns.</remarks>
    public bool WaitForSubscriber(TimeSpan timeout)
    {
        bool subscribed = _subscriptions.Wait(timeout);
        _holding = false;
        return subscribed;
    }

    /// <summary>Waits until every event the store has raised so far is published (or <paramref name="timeout"/> passes).</summary>
    public bool Flush(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while ((_events.CanCount ? _events.Count > 0 : _events.TryPeek(out _)) || _pending)
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>
    /// Publishes what is queued (for up to <see cref="ZmqKvEventPublisherOptions.FlushTimeout"/>), then closes the
    /// sockets. Events still queued then are dropped, and their count is logged (<c>KvEventsDroppedAtShutdown</c>).
    /// </summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        Flush(_options.FlushTimeout);
        _stopping = true;
        _thread.Join();
        long dropped = 0;
        while (_events.TryRead(out _))
        {
            dropped++; // the thread is gone: what is left now is never published
        }

        if (dropped > 0)
        {
            KvEventsLog.DroppedAtShutdown(_logger, dropped, Endpoint, _options.FlushTimeout);
        }

        _subscription?.Dispose();
        _ready.Dispose();
        _subscriptions.Dispose();
    }

    private static KvEventSubscription Subscribe(TieredKvStore store, ZmqKvEventPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(); // before subscribing: a refused option must not leave a subscription behind
        return store.Events.Subscribe(options.QueueCapacity, snapshot: true);
    }

    private void Run()
    {
        XPublisherSocket? pub = null;
        RouterSocket? router = null;
        try
        {
            pub = new XPublisherSocket();
            pub.Options.SendHighWatermark = _options.HighWaterMark;
            pub.Options.XPubVerbose = true; // every subscriber's subscription, not only a topic's first: each is greeted
            // A socket made with `new` discards what it has not sent when closed (linger 0): Dispose's last batches
            // would be lost to a subscriber on a busy machine. Give them as long as Dispose gives the flush.
            pub.Options.Linger = _options.FlushTimeout;
            ZmqEndpoints.Attach(pub, _options.Endpoint, _options.Bind);
            Endpoint = pub.Options.LastEndpoint ?? _options.Endpoint;
            if (_options.ReplayEndpoint is not null)
            {
                router = new RouterSocket();
                ZmqEndpoints.BindSoon(router, _options.ReplayEndpoint);
                ReplayEndpoint = router.Options.LastEndpoint;
            }
        }
        catch (Exception ex) when (ex is NetMQException or ArgumentException)
        {
            _startFailure = ex;
            pub?.Dispose();
            router?.Dispose();
            _ready.Set();
            return;
        }

        _ready.Set();
        using (pub)
        using (router)
        {
            while (!_stopping)
            {
                _subscriptions.Service(pub);
                if (router is not null)
                {
                    _replay.Serve(router);
                }

                if (_holding && !_subscriptions.IsSubscribed)
                {
                    _subscriptions.WaitOn(pub, IdleWait); // nothing goes out before the first subscriber, so it misses nothing
                    continue;
                }

                _pending = true;
                while (_batcher.Count < _options.MaxEventsPerBatch && _events.TryRead(out KvEvent e))
                {
                    _batcher.Add(e);
                }

                if (_batcher.Count == 0)
                {
                    _pending = false;
                    _idle.Wait(IdleWait); // subscriptions and replay requests are still answered meanwhile
                    continue;
                }

                Publish(pub);
                _pending = false;
            }
        }
    }

    private void Publish(XPublisherSocket pub)
    {
        int events = _batcher.Count;
        _sender.Send(pub, _batcher.Drain(Now(), _options.DataParallelRank));
        Interlocked.Add(ref _published, events);
    }

    internal static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
