using System.Threading.Channels;
using AgentServer.Engine;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.KvEvents;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using LLama.Native;
using Microsoft.Extensions.Options;

namespace AgentServer.Events;

/// <summary>
/// Publishes which prompts the server can restore, and from which tier, as vLLM KV events (docs/serving.md, "KV
/// events"): a router in front of several servers then sends a request where its prefix is. Registered only when
/// <see cref="KvEventsOptions.Endpoint"/> is set.
/// </summary>
/// <remarks>
/// The store holds prompts as snapshots (a manifest and state chunks under keys no router can compute), so its raw
/// events are not published. A pump (<see cref="ServerKvEventsPump"/>) follows them instead, together with the prompts
/// the generator saved (<see cref="Saved"/>) and the shared prefixes the cache's restores saved
/// (<see cref="LlamaPrefixCache.SharedPrefixSaved"/>: before, a router learnt of those only from a resync), through
/// <see cref="SnapshotBlockTracker"/>, and hands the resulting block events to a <see cref="ZmqKvEventPublisher"/>,
/// whose own thread owns the sockets. The request path only enqueues the saved prompt;
/// the hashing and everything else happens on the pump, and nothing waits for a subscriber. When the store's events
/// outrun the pump, it resyncs from a snapshot through <see cref="StoreEventQueue"/>, which makes resyncs end.
/// </remarks>
internal sealed class ServerKvEvents : IDisposable
{
    private const int StoreQueue = 1 << 20;
    private readonly Channel<(LLamaToken[] Prompt, int Pieces)> _saved = Channel.CreateUnbounded<(LLamaToken[], int)>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<KvEvent> _out = Channel.CreateUnbounded<KvEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ZmqKvEventPublisher _publisher;
    private readonly ILogger _logger;
    private readonly LlamaPrefixCache? _cache;
    private readonly StoreEventQueue _queue;
    private readonly ServerKvEventsPump _pumping;
    private readonly Task _pump;

    public ServerKvEvents(IOptions<KvEventsOptions> options, TieredKvStore store, LlamaEngine engine, IServiceProvider services,
        ILogger<ServerKvEvents> logger)
        : this(options.Value, store, engine.Hasher, logger, engine.Options.PrefixCache ? services.GetRequiredService<LlamaPrefixCache>() : null)
    {
    }

    /// <summary>
    /// Publishes the prompts saved into <paramref name="store"/> under <paramref name="keys"/>' block keys, and, with a
    /// <paramref name="cache"/>, those of the snapshots the store already holds (a restart's flash tier).
    /// </summary>
    /// <param name="storeQueue">Live store events queued for the pump beyond a snapshot before it drops (tests: a few).</param>
    /// <param name="window">The time in which at most <see cref="StoreEventQueue.MaxSnapshots"/> resyncs take a snapshot (and the least
    /// time the store is then followed without one).</param>
    internal ServerKvEvents(KvEventsOptions o, TieredKvStore store, BlockHasher keys, ILogger logger, LlamaPrefixCache? cache = null,
        int storeQueue = StoreQueue, TimeSpan? window = null)
    {
        _cache = cache;
        _logger = logger;
        int blockSize = keys.TokensPerBlock;
        var tracker = new SnapshotBlockTracker(e => _out.Writer.TryWrite(e), key => store.Contains(key)); // unbounded: never fails while open
        try
        {
            _publisher = new ZmqKvEventPublisher(_out.Reader, blockSize, new ZmqKvEventPublisherOptions
            {
                Endpoint = o.Endpoint!,
                ReplayEndpoint = o.ReplayEndpoint,
                Topic = o.Topic,
                BufferSteps = o.BufferSteps,
                HighWaterMark = o.HighWaterMark,
                DataParallelRank = o.DataParallelRank,
                FlushTimeout = o.FlushTimeout,
            }, logger);
        }
        catch (Exception ex) when (ex is NetMQ.NetMQException or ArgumentException)
        {
            // A port in use or a malformed address: one line from Program and exit 1, as for the HTTP port.
            throw new IOException($"KvTiering:KvEvents: cannot publish on '{o.Endpoint}' (replay '{o.ReplayEndpoint}'): {ex.Message}", ex);
        }

        _out.Writer.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default)); // the resync point
        _queue = new StoreEventQueue(store, storeQueue, window ?? TimeSpan.FromSeconds(30));
        _pumping = new ServerKvEventsPump(new SavedPromptKeys(keys, o.HashSeed), _saved.Reader, _out.Writer, tracker, _queue, cache, logger);
        _pump = Task.Run(_pumping.RunAsync);
        if (cache is not null)
        {
            cache.SharedPrefixSaved += OnSharedPrefixSaved; // a restore's shared-prefix save, published as a turn's save is
        }

        ServerKvEventsLog.Publishing(logger, _publisher.Endpoint, _publisher.ReplayEndpoint ?? "none", o.HashSeed, blockSize);
    }

    /// <summary>The PUB socket's endpoint, with an ephemeral port resolved.</summary>
    public string Endpoint => _publisher.Endpoint;

    /// <summary>The replay socket's endpoint, or null.</summary>
    public string? ReplayEndpoint => _publisher.ReplayEndpoint;

    /// <summary>Block events published so far.</summary>
    public long EventsPublished => _publisher.EventsPublished;

    /// <summary>Times the store's events were lost (a full queue) and every published block was cleared.</summary>
    public long Resets => _pumping.Resets;

    /// <summary>
    /// False while the store is followed without a snapshot, after resyncs that could not keep up: prompts saved before
    /// are not published until a snapshot is tried again (log event 305).
    /// </summary>
    public bool Complete => _queue.Complete;

    /// <summary>Prompts found in the store rather than saved (at startup, the snapshots a restart kept) and published.</summary>
    public long PromptsFound => _pumping.PromptsFound;

    /// <summary>Waits until a subscriber has subscribed (tests: ZeroMQ drops what a PUB sends before that).</summary>
    public bool WaitForSubscriber(TimeSpan timeout) => _publisher.WaitForSubscriber(timeout);

    /// <summary>
    /// The generator stored a snapshot of <paramref name="prompt"/> taking <paramref name="pieces"/> store blocks
    /// (<see cref="SnapshotSave.Chunks"/>). Called after the save returned, so its store events are queued already.
    /// </summary>
    public void Saved(LLamaToken[] prompt, int pieces) => _saved.Writer.TryWrite((prompt, pieces));

    /// <summary>A restore stored a shared prefix (<see cref="LlamaPrefixCache.SharedPrefixSaved"/>): published as a turn's save.</summary>
    private void OnSharedPrefixSaved(LLamaToken[] prefix, SnapshotSave saved) => Saved(prefix, saved.Chunks);

    /// <summary>Publishes every event raised so far (the store's subscription ends first), then closes the sockets.</summary>
    public void Dispose()
    {
        if (_cache is not null)
        {
            _cache.SharedPrefixSaved -= OnSharedPrefixSaved;
        }

        _saved.Writer.TryComplete();
        _queue.Dispose(); // the reader completes once what is queued is read, and a resync racing this makes no new one
        if (!_pump.Wait(TimeSpan.FromSeconds(10)))
        {
            ServerKvEventsLog.PumpStuck(_logger);
        }

        _out.Writer.TryComplete();
        _publisher.Dispose(); // flushes what the pump wrote, then lingers for the sockets to send it
    }
}
