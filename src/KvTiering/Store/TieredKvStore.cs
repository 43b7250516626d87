using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Placement;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.Store;

/// <summary>
/// A KV-block store over a chain of tiers (for example SRAM → HBM → DRAM → flash). New blocks enter the top tier
/// (or, with a placement router, the tier their workload labels route them to); each tier's policy picks victims,
/// which are demoted one tier down instead of dropped; a hit in a lower tier is promoted. The same store runs with
/// payload bytes inside an inference server and metadata-only inside the simulation harness, so the hit rates the
/// harness reports are the store's own.
/// </summary>
/// <remarks>
/// Thread-safe: every change runs under one lock, and a read returns exactly the bytes put for its key or misses,
/// including while the block is being demoted or promoted. A hit in a memory top tier takes no lock at all: it reads
/// optimistically, validates against a sequence counter writers bump, and queues the access for the policies (see
/// <c>TopTierReader</c>). Memory-tier gets, puts and prefix matches allocate nothing. This type is the public face:
/// it validates and delegates to its collaborators (docs/architecture.md, "The core").
/// </remarks>
public sealed partial class TieredKvStore : IDisposable
{
    /// <summary>The most tiers a chain may have.</summary>
    public const int MaxTiers = 8;

    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly StoreClock _clock;
    private readonly StoreCounters _counters;
    private readonly TopTierReader _top;
    private readonly bool _bitHits; // the top tier answers most lookups in TopTierReader.TryBit
    private readonly SlotBinding _slots;
    private readonly TierChain _chain;
    private readonly ReservedPut? _reservedPut; // payload stores: puts copy outside the lock
    private readonly ReadCascade _reads;
    private readonly ResidencyLookup _residency;
    private readonly SessionHints _hints;
    private readonly Prefetcher _prefetcher;
    private readonly RequestOffer _requests;
    private readonly StoreShutdown _shutdown;
    private readonly WriteBehind _writeBehind;
    private readonly PlacementLedger? _ledger;
    private readonly KvEventFeed _events;
    private readonly StoreLog _log;
    private readonly KvTieringMetrics? _metrics;

    /// <summary>Builds a store from <paramref name="options"/>, opening (and recovering) any flash tier.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent; the message names the value.</exception>
    public TieredKvStore(KvStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(MaxTiers);
        Layout = options.Layout;
        MetadataOnly = options.MetadataOnly;
        BlockBytes = options.MetadataOnly ? 0 : options.Layout!.BytesPerBlock;
        _clock = new StoreClock(options.TimeProvider ?? TimeProvider.System, options.Tiers.Count);
        _counters = new StoreCounters(options.MetadataOnly, options.Layout?.BytesPerBlock ?? 0);
        PromotionMode promotion = options.Promotion;
        _log = new StoreLog(options.Logger ?? NullLogger.Instance, options.Name ?? "default");
        _events = new KvEventFeed(this);
        _tiers = TierDevices.OpenTiers(options, BlockBytes, _log.Logger, out int entries);
        _table = new BlockTable(entries, tracksChildren: Array.Exists(_tiers, t => !t.IgnoresChildren));
        foreach (Tier tier in _tiers)
        {
            tier.Attach(new TierView(_clock, _table, tier));
        }

        var remote = new RemoteProbe(_table, _tiers, _counters, promotion, MetadataOnly, BlockBytes);
        _top = new TopTierReader(_table, _tiers[0], _counters, _clock, MetadataOnly, remote.MayHaveMore);
        _bitHits = _top.BitHits;
        IPlacementHooks placement;
        try
        {
            placement = PlacementHooks.Create(_table, _clock, _tiers, Layout, options.Router, options.Ledger);
            _ledger = options.Ledger;
            _ledger?.Attach(_top.Lock, [.. _tiers.Select(t => t.Profile.Name)]);
        }
        catch
        {
            TierDevices.DisposeAll(_tiers);
            throw;
        }

        _slots = new SlotBinding(_table, placement, new FeedEventSink(_events, Array.ConvertAll(_tiers, static t => t.Profile.Kind)), _log);
        var persistent = new PersistentTiers(_table, _tiers, _log);
        persistent.Recover(_slots, placement);
        _writeBehind = new WriteBehind(options, _table, _tiers, _top, _slots, _counters, placement, _log, BlockBytes);
        var mover = new BlockMover(_table, _tiers, _top, _slots, _counters, placement, _writeBehind, _log, MetadataOnly, BlockBytes);
        _chain = new TierChain(_table, _tiers, mover, _slots, _counters, placement, promotion, options.MaxPinnedFraction);
        _reservedPut = MetadataOnly ? null : new ReservedPut(_table, _tiers, _top, _chain, mover, _slots, _counters, placement);
        PromotionCopies? promotions = MetadataOnly ? null : new PromotionCopies(_table, _tiers, _top, mover, _slots, _counters, placement);
        var locked = new LockedReader(_table, _tiers, _top, _chain, _slots, _counters, _writeBehind, remote, promotions, MetadataOnly);
        _reads = new ReadCascade(_top, locked, promotions is null ? null : new AsyncReader(_table, _tiers, _top, _chain, _counters, locked, promotions));
        _residency = new ResidencyLookup(_table, _top, remote, _tiers.Length);
        _hints = new SessionHints(_tiers, _top, _clock);
        _shutdown = new StoreShutdown(_tiers, _top, persistent, mover, _writeBehind, options.FlushOnDispose);
        _prefetcher = new Prefetcher(_table, _tiers, _top, _chain, _slots, _counters, placement, promotions, promotion, BlockBytes);
        _requests = new RequestOffer(_table, _tiers, _chain, _slots, _counters, placement, MetadataOnly);
        Log.StoreOpened(_log.Logger, _log.Name, _tiers.Length, entries - 1, BlockBytes);
        if (options.MeterFactory is { } meterFactory)
        {
            _metrics = new KvTieringMetrics(this, meterFactory, options.Name);
        }

        persistent.StartDeferredVerification(_top, _slots, placement);
    }

    /// <summary>The KV layout (null in a metadata-only store built without one).</summary>
    public KvLayout? Layout { get; }

    /// <summary>Whether the store keeps no payload bytes.</summary>
    public bool MetadataOnly { get; }

    /// <summary>Largest payload of one block, bytes (0 when metadata-only).</summary>
    public int BlockBytes { get; }

    /// <summary>
    /// Where block arrivals and departures are reported (<see cref="Events"/>' feed unless replaced; null restores the
    /// null object). Set it before the store is shared between threads.
    /// </summary>
    internal IBlockEventSink EventSink
    {
        get => _slots.Events;
        set => _slots.Events = value;
    }

    /// <summary>Number of tiers.</summary>
    public int TierCount => _tiers.Length;

    /// <summary>Blocks resident across all tiers.</summary>
    public int Count
    {
        get
        {
            lock (_top.Lock)
            {
                return _table.Count;
            }
        }
    }

    /// <summary>The profile of tier <paramref name="tier"/>.</summary>
    public TierProfile TierProfileAt(int tier) => _tiers[tier].Profile;

    /// <summary>The device behind tier <paramref name="tier"/> (the meter reads a flash device's fault counts).</summary>
    internal IBlockDevice DeviceAt(int tier) => _tiers[tier].Device;

    /// <summary>The lock-free read path (tests).</summary>
    internal TopTierReader TopReader => _top;

    /// <summary>The store's clock in seconds since it was built (see <see cref="StoreClock"/>).</summary>
    internal double NowSeconds => _clock.NowSeconds;

    /// <summary>
    /// Offers one request's blocks to the store, as a server does per prompt and the harness does per trace request:
    /// looks the whole request up at arrival (the resident prefix, and per tier how much of it each holds), then offers
    /// every block in request order with the request's context, so the policies see the request as one unit. One lock
    /// acquisition for the whole request; the clock is the store's <see cref="TimeProvider"/>.
    /// </summary>
    /// <remarks>
    /// In a metadata-only store every absent block is admitted (the harness's semantics, docs/harness.md). In a store
    /// that keeps payloads an absent block has no bytes yet: it is left for the caller's <see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte}, in BlockContext)"/>
    /// once computed, and only resident blocks are touched. With a placement router, each prefix block found below
    /// the top tier is loaded or recomputed as the router decides; a recomputed block leaves its tier before the
    /// offers, so its offer admits it afresh where the labels route it (as a server's recompute-then-put would).
    /// </remarks>
    /// <param name="keys">The request's block keys, in order; each block's parent is the one before it. None empty.</param>
    /// <param name="session">The request's session (0: none).</param>
    /// <param name="labels">The request's workload labels (default: unlabelled).</param>
    /// <param name="nextUse">
    /// Per block, the index of the next request that uses it (<see cref="int.MaxValue"/>: never), for offline
    /// policies; empty when unknown.
    /// </param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    /// <param name="prefixServed">
    /// Receives, per prefix block, the tier it was loaded from, or -1 - tier when the router chose to recompute it.
    /// Routing decisions need it at least as long as <paramref name="keys"/>; when shorter, every prefix block is loaded.
    /// </param>
    /// <returns>What the request found resident at arrival.</returns>
    /// <exception cref="ArgumentException">A key is empty, or <paramref name="nextUse"/> is neither empty nor as long as <paramref name="keys"/>.</exception>
    public RequestOutcome OfferRequest(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels = default,
        ReadOnlySpan<int> nextUse = default, Span<int> prefixPerTier = default, Span<sbyte> prefixServed = default)
    {
        ThrowIfDisposed();
        if (!nextUse.IsEmpty && nextUse.Length != keys.Length)
        {
            throw new ArgumentException($"nextUse has {nextUse.Length} entries for {keys.Length} keys; give one per key or none.", nameof(nextUse));
        }

        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i].IsEmpty)
            {
                ThrowHelper.ThrowEmptyKey(nameof(keys));
            }
        }

        using (_top.EnterWrite())
        {
            ThrowIfDisposed();
            return _requests.Offer(keys, session, labels, nextUse, prefixPerTier, prefixServed);
        }
    }

    /// <summary>
    /// Brings the lower-tier blocks among <paramref name="keys"/> up to the top tier (or as high as a placement router
    /// lets their labels go) before a request needs them, so that <see cref="MatchPrefix(ReadOnlySpan{BlockKey})"/>
    /// and the reads that follow find them on the top tier's lock-free path. A server calls it when a request is
    /// queued, with the request's block keys.
    /// </summary>
    /// <remarks>
    /// Runs off the caller's thread, one block at a time, so puts and hits interleave with it: each block is read
    /// outside the store's lock (awaited on a device that declares <see cref="IAsyncBlockDevice"/>) and promoted with
    /// its copies outside the lock, only if its entry did not change meanwhile; cancellation is checked between blocks
    /// and reaches an awaited read, and leaves every block either where it was or fully promoted. Resident top-tier blocks, absent blocks, pinned blocks and blocks already moving are skipped.
    /// The top tier's policy may decline a block (it then stays where it is). At most the top tier's capacity of blocks
    /// moves, the first in <paramref name="keys"/> order, so a long prefix does not push out its own head. Prefetching tells no policy of an access:
    /// the request's own reads do that. SGLang HiCache and Dynamo KVBM prefetch the same way, on the request's arrival
    /// in the queue.
    /// </remarks>
    /// <param name="keys">The blocks to bring up, typically a queued request's prefix; empty keys are ignored.</param>
    /// <param name="cancellationToken">Stops the prefetch between blocks.</param>
    /// <returns>How many blocks moved up.</returns>
    /// <exception cref="OperationCanceledException">Cancelled; the blocks moved so far stay moved.</exception>
    public Task<int> PrefetchAsync(ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        return _prefetcher.RunAsync(this, keys, cancellationToken);
    }

    /// <summary>The placement ledger the store records into, or null.</summary>
    public PlacementLedger? Ledger => _ledger;

    /// <summary>
    /// Where <paramref name="key"/> is now and the ledger entries that put it there, oldest first (no entries when
    /// the store has no ledger). Allocates; meant for diagnostics, not the serving path.
    /// </summary>
    public BlockExplanation Explain(in BlockKey key)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            ThrowIfDisposed();
            return BlockExplainer.Explain(_table, _tiers, _ledger, key);
        }
    }

    /// <summary>
    /// The store's KV events: subscribe to learn of every block stored into or removed from any tier (see
    /// docs/kv-events.md; <c>KvTiering.KvEvents</c> publishes them on vLLM's ZeroMQ wire format).
    /// </summary>
    public KvEventFeed Events => _events;

    /// <summary>Runs <paramref name="action"/> under the store's lock with every resident block and its tier.</summary>
    internal void WithResidentBlocks(Action<IEnumerable<(BlockKey Key, BlockKey Parent, int Tier, TierKind Medium)>> action)
    {
        ThrowIfDisposed();
        lock (_top.Lock)
        {
            action(_slots.Resident(_tiers));
        }
    }

    /// <summary>A snapshot of every counter.</summary>
    public StoreStatistics GetStatistics()
    {
        lock (_top.Lock)
        {
            _top.DrainAndFold();
            return _counters.Snapshot(_tiers, _table.Count);
        }
    }

    /// <summary>Write-behind jobs (demotions, slot frees) queued and not yet booked: a state tests wait for.</summary>
    internal int WriteBehindPending => _writeBehind.Pending;

    /// <summary>Releases every device (native slabs, flash file handles). Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _shutdown.Close();

    /// <summary>Whether <see cref="Dispose"/> has run (metrics stop reporting then).</summary>
    internal bool IsDisposed => _top.IsDisposed;

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> has run.</summary>
    internal void ThrowIfDisposed()
    {
        if (_top.IsDisposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }
    }
}
