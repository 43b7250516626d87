using System.Runtime.InteropServices;
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
/// events are not published. A pump follows them instead, together with the prompts the generator saved
/// (<see cref="Saved"/>), through <see cref="SnapshotBlockTracker"/>, and hands the resulting block events to a
/// <see cref="ZmqKvEventPublisher"/>, whose own thread owns the sockets. The request path only enqueues the saved prompt;
/// the hashing and everything else happens on the pump, and nothing waits for a subscriber.
/// </remarks>
internal sealed partial class ServerKvEvents : IDisposable
{
    private const int StoreQueue = 1 << 20;
    private readonly TieredKvStore _store;
    private readonly int _storeQueue; // events the store may queue for the pump before it drops (tests: a few)
    private readonly BlockHasher _keys;
    private readonly VllmBlockHasher _hashes;
    private readonly Channel<(LLamaToken[] Prompt, int Pieces)> _saved = Channel.CreateUnbounded<(LLamaToken[], int)>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<KvEvent> _out = Channel.CreateUnbounded<KvEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SnapshotBlockTracker _tracker;
    private readonly ZmqKvEventPublisher _publisher;
    private readonly ILogger _logger;
    private readonly LlamaPrefixCache? _cache;
    private readonly List<BlockKey> _unclaimed = [];
    private KvEventSubscription _subscription;
    private readonly Task _pump;
    private long _expected;
    private long _resets;
    private long _found;

    public ServerKvEvents(IOptions<KvEventsOptions> options, TieredKvStore store, LlamaEngine engine, IServiceProvider services,
        ILogger<ServerKvEvents> logger)
        : this(options.Value, store, engine.Hasher, logger, engine.Options.PrefixCache ? services.GetRequiredService<LlamaPrefixCache>() : null)
    {
    }

    /// <summary>
    /// Publishes the prompts saved into <paramref name="store"/> under <paramref name="keys"/>' block keys, and, with a
    /// <paramref name="cache"/>, those of the snapshots the store already holds (a restart's flash tier).
    /// </summary>
    internal ServerKvEvents(KvEventsOptions o, TieredKvStore store, BlockHasher keys, ILogger logger, LlamaPrefixCache? cache = null,
        int storeQueue = StoreQueue)
    {
        _store = store;
        _storeQueue = storeQueue;
        _cache = cache;
        _logger = logger;
        _keys = keys;
        int blockSize = keys.TokensPerBlock;
        _hashes = new VllmBlockHasher(blockSize, o.HashSeed);
        _tracker = new SnapshotBlockTracker(e => _out.Writer.TryWrite(e), key => store.Contains(key)); // unbounded: never fails while open
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
            });
        }
        catch (Exception ex) when (ex is NetMQ.NetMQException or ArgumentException)
        {
            // A port in use or a malformed address: one line from Program and exit 1, as for the HTTP port.
            throw new IOException($"KvTiering:KvEvents: cannot publish on '{o.Endpoint}' (replay '{o.ReplayEndpoint}'): {ex.Message}", ex);
        }

        _out.Writer.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default)); // the resync point
        _subscription = store.Events.Subscribe(storeQueue, snapshot: true);
        _pump = Task.Run(PumpOrClearAsync);
        LogPublishing(logger, _publisher.Endpoint, _publisher.ReplayEndpoint ?? "none", o.HashSeed, blockSize);
    }

    /// <summary>The PUB socket's endpoint, with an ephemeral port resolved.</summary>
    public string Endpoint => _publisher.Endpoint;

    /// <summary>The replay socket's endpoint, or null.</summary>
    public string? ReplayEndpoint => _publisher.ReplayEndpoint;

    /// <summary>Block events published so far.</summary>
    public long EventsPublished => _publisher.EventsPublished;

    /// <summary>Times the store's events were lost (a full queue) and every published block was cleared.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Prompts found in the store rather than saved (at startup, the snapshots a restart kept) and published.</summary>
    public long PromptsFound => Interlocked.Read(ref _found);

    /// <summary>Waits until a subscriber has subscribed (tests: ZeroMQ drops what a PUB sends before that).</summary>
    public bool WaitForSubscriber(TimeSpan timeout) => _publisher.WaitForSubscriber(timeout);

    /// <summary>
    /// The generator stored a snapshot of <paramref name="prompt"/> taking <paramref name="pieces"/> store blocks
    /// (<see cref="SnapshotSave.Chunks"/>). Called after the save returned, so its store events are queued already.
    /// </summary>
    public void Saved(LLamaToken[] prompt, int pieces) => _saved.Writer.TryWrite((prompt, pieces));

    /// <summary>Publishes every event raised so far (the store's subscription ends first), then closes the sockets.</summary>
    public void Dispose()
    {
        _saved.Writer.TryComplete();
        _subscription.Dispose(); // the reader completes once what is queued is read
        if (!_pump.Wait(TimeSpan.FromSeconds(10)))
        {
            LogPumpStuck(_logger);
        }

        _out.Writer.TryComplete();
        _publisher.Dispose(); // flushes what the pump wrote, then lingers for the sockets to send it
    }

    private async Task PumpOrClearAsync()
    {
        try
        {
            await PumpAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // What is held is no longer followed: tell routers to forget this server rather than leave stale blocks.
            LogPumpFailed(_logger, ex);
            _out.Writer.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default));
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            DrainStore();
            while (_saved.Reader.TryRead(out (LLamaToken[] Prompt, int Pieces) saved))
            {
                DrainStore(); // the save's store events were queued before it was: apply them first
                Register(saved.Prompt, saved.Pieces);
            }

            RegisterUnclaimed();
            _tracker.Settle();
            Task<bool> store = _subscription.Reader.WaitToReadAsync().AsTask();
            Task<bool> prompts = _saved.Reader.WaitToReadAsync().AsTask();
            await Task.WhenAny(store, prompts).ConfigureAwait(false);
            if (store.IsCompleted && !store.Result && prompts.IsCompleted && !prompts.Result)
            {
                return; // both ended and read to the end
            }

            if ((store.IsCompleted && !store.Result) != (prompts.IsCompleted && !prompts.Result))
            {
                await Task.WhenAll(store, prompts).ConfigureAwait(false); // one ended: wait on the other alone
            }
        }
    }

    private void DrainStore()
    {
        while (true)
        {
            while (_subscription.Reader.TryRead(out KvEvent e))
            {
                if (e.Sequence != _expected)
                {
                    Resync(); // events were dropped: what the store holds is unknown; read the new snapshot on
                    continue;
                }

                _expected = e.Sequence + 1;
                _tracker.Apply(e);
            }

            if (_subscription.Dropped == 0)
            {
                return;
            }

            Resync(); // the last events were dropped: no later one would show the gap
        }
    }

    private void Resync()
    {
        Interlocked.Increment(ref _resets);
        LogResync(_logger, _subscription.Dropped);
        _tracker.Reset();
        _out.Writer.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default));
        KvEventSubscription old = _subscription;
        _subscription = _store.Events.Subscribe(_storeQueue, snapshot: true);
        _expected = 0;
        old.Dispose();
    }

    /// <summary>
    /// Registers the snapshots found in the store that no save accounts for: at startup, every one a restart kept, so
    /// a router hears of them before any request; later, a save read before its <see cref="Saved"/> (same hashes).
    /// </summary>
    private void RegisterUnclaimed()
    {
        if (_cache is null)
        {
            return;
        }

        _tracker.TakeUnclaimedManifests(_unclaimed);
        int found = 0;
        foreach (BlockKey manifest in _unclaimed)
        {
            if (_cache.TryReadSnapshotPrompt(manifest, out LLamaToken[]? prompt, out int pieces))
            {
                Register(prompt, pieces);
                found++;
            }
        }

        if (found > 0)
        {
            Interlocked.Add(ref _found, found);
            LogFound(_logger, found, _unclaimed.Count);
        }

        _unclaimed.Clear();
    }

    private void Register(LLamaToken[] prompt, int pieces)
    {
        ReadOnlySpan<int> tokens = MemoryMarshal.Cast<LLamaToken, int>(prompt);
        int blocks = _keys.BlockCount(tokens.Length);
        if (blocks == 0 || pieces <= 0)
        {
            return;
        }

        var keys = new BlockKey[blocks];
        _keys.ComputeKeys(tokens, keys);
        var pieceKeys = new BlockKey[pieces];
        LlamaPrefixCache.GetSnapshotKeys(keys[^1], pieceKeys);
        var hashes = new VllmBlockHash[blocks];
        int n = _hashes.ComputeHashes(tokens, hashes);
        var events = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            events[i] = hashes[i].EventHash;
        }

        _tracker.Register(keys[^1], pieceKeys, events);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Publishing KV events on {Endpoint} (replay {ReplayEndpoint}), block hashes sha256_cbor with seed '{HashSeed}', {BlockSize} tokens a block")]
    private static partial void LogPublishing(ILogger logger, string endpoint, string replayEndpoint, string hashSeed, int blockSize);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning,
        Message = "KV events: the store's event queue overflowed ({Dropped} dropped); every published block is cleared, the store followed afresh and what it holds published again")]
    private static partial void LogResync(ILogger logger, long dropped);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "KV events: following the store failed; published AllBlocksCleared and stopped")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information,
        Message = "KV events: {Found} snapshots found in the store that this run did not save (of {Read} blocks read); publishing their blocks")]
    private static partial void LogFound(ILogger logger, int found, int read);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "KV events: the pump did not finish in 10 s at shutdown; events may be lost")]
    private static partial void LogPumpStuck(ILogger logger);
}
