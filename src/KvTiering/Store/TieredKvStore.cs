using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Events;
using KvTiering.Eviction;
using KvTiering.Placement;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// A KV-block store over a chain of tiers (for example SRAM → HBM → DRAM → flash). New blocks enter the top tier
/// (or, with a placement router, the tier their workload labels route them to); each tier's policy picks victims,
/// which are demoted one tier down instead of dropped; a hit in a lower tier is promoted. The same store runs with
/// payload bytes inside an inference server and metadata-only inside the simulation harness, so the hit rates the
/// harness reports are the store's own.
/// </summary>
/// <remarks>
/// Thread-safe: every change runs under one lock, and a read returns exactly the bytes put for its key or misses, also
/// while the block moves; a hit in a memory top tier takes no lock at all. Memory-tier gets, puts and prefix matches
/// allocate nothing. This type validates and delegates to its collaborators (docs/architecture.md, "The core").
/// </remarks>
public sealed class TieredKvStore : IDisposable
{
    /// <summary>The most tiers a chain may have.</summary>
    public const int MaxTiers = 8;

    private readonly StoreParts _parts;
    private readonly TopTierReader _top; // the hit path's, held here: no load through _parts
    private readonly bool _bitHits; // the top tier answers most lookups in TopTierReader.TryBit
    private readonly ReadCascade _reads;
    private readonly KvEventFeed _events;
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
        _events = new KvEventFeed(this);
        _parts = new StoreParts(options, _events, BlockBytes);
        _top = _parts.Top;
        _bitHits = _top.BitHits;
        _reads = _parts.Reads;
        _metrics = options.MeterFactory is { } meterFactory ? new KvTieringMetrics(this, meterFactory, options.Name) : null;
        _parts.StartDeferredVerification();
    }

    /// <summary>The KV layout (null in a metadata-only store built without one).</summary>
    public KvLayout? Layout { get; }

    /// <summary>Whether the store keeps no payload bytes.</summary>
    public bool MetadataOnly { get; }

    /// <summary>Largest payload of one block, bytes (0 when metadata-only).</summary>
    public int BlockBytes { get; }

    /// <summary>Where block arrivals and departures go (<see cref="Events"/>' feed unless replaced; null: none). Set before sharing.</summary>
    internal IBlockEventSink EventSink { get => _parts.Slots.Events; set => _parts.Slots.Events = value; }

    /// <summary>Number of tiers.</summary>
    public int TierCount => _parts.Tiers.Length;

    /// <summary>Blocks resident across all tiers.</summary>
    public int Count => _parts.Census.Count;

    /// <summary>The profile of tier <paramref name="tier"/>.</summary>
    public TierProfile TierProfileAt(int tier) => _parts.Tiers[tier].Profile;

    /// <summary>The device behind tier <paramref name="tier"/> (the meter reads a flash device's fault counts).</summary>
    internal IBlockDevice DeviceAt(int tier) => _parts.Tiers[tier].Device;

    /// <summary>The lock-free read path (tests).</summary>
    internal TopTierReader TopReader => _top;

    /// <summary>The store's clock in seconds since it was built (see <see cref="StoreClock"/>).</summary>
    internal double NowSeconds => _parts.Clock.NowSeconds;

    /// <summary>Stores a block under <paramref name="key"/>, admitting it into the top tier and demoting victims down the
    /// chain. A block already resident is not rewritten (keys are content addresses); it counts as an access.</summary>
    /// <param name="key">The block's key; never empty.</param>
    /// <param name="parent">The previous block's key, or <see cref="BlockKey.Empty"/> (or the hasher's root) for a first block.</param>
    /// <param name="kv">The block's KV bytes: 1 to <see cref="BlockBytes"/> bytes (empty in a metadata-only store).</param>
    /// <exception cref="ArgumentException">The key is empty or the payload length is wrong.</exception>
    public PutResult Put(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv) => Put(key, parent, kv, BlockContext.None);

    /// <summary>Stores a block, telling the policies its depth and session.</summary>
    /// <inheritdoc cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>
    public PutResult Put(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> kv, in BlockContext context) =>
        _parts.Puts.Put(this, key, parent, kv, context);

    /// <summary>Copies the block stored under <paramref name="key"/> into <paramref name="destination"/>. A hit in a lower
    /// tier may promote the block; a read of a device whose read window (<see cref="IConcurrentReads"/>) is full waits,
    /// blocking, for a place. Returns false on a miss, including a block whose bytes fail verification.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the stored block.</exception>
    public bool TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten) => TryGet(key, destination, out bytesWritten, out _);

    /// <summary>Like <see cref="TryGet(in BlockKey, Span{byte}, out int)"/>, also telling which tier served the hit.</summary>
    public bool TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        // A payload-free top tier with reference bits answers most lookups here, with no call. No disposed check: after
        // Dispose the version stays odd, every lock-free try is interrupted and the locked path throws.
        bytesWritten = 0;
        if (_bitHits)
        {
            int outcome = _top.TryBit(key, ref bytesWritten);
            if (outcome == TopTierReader.Hit)
            {
                servedFromTier = 0;
                return true;
            }

            if (outcome == TopTierReader.Miss)
            {
                servedFromTier = -1;
                return false;
            }
        }

        return _reads.TryGet(this, key, destination, out bytesWritten, out servedFromTier);
    }

    /// <summary>
    /// Like <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/>, also telling why a miss missed: never put or
    /// no longer held, bytes that failed verification, a block its device lost, or a device not reached just now
    /// (<see cref="BlockMiss"/>; <see cref="BlockMiss.None"/> on a hit). The cause is learnt on the miss's slow path;
    /// the plain overloads keep the fastest hit path.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the stored block.</exception>
    public bool TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier, out BlockMiss miss) =>
        _reads.TryGet(this, key, destination, out bytesWritten, out servedFromTier, out miss);

    /// <summary>Counts how many leading blocks of <paramref name="keys"/> are resident (up to the first absent one) and
    /// in which tiers, moving nothing and telling no policy.</summary>
    public PrefixMatch MatchPrefix(ReadOnlySpan<BlockKey> keys) => MatchPrefix(keys, default);

    /// <summary>Like <see cref="MatchPrefix(ReadOnlySpan{BlockKey})"/>, also writing each matched block's tier into
    /// <paramref name="tiers"/> (which may be empty, or at least as long as the match).</summary>
    public PrefixMatch MatchPrefix(ReadOnlySpan<BlockKey> keys, Span<int> tiers) => _parts.Residency.MatchPrefix(this, keys, tiers);

    /// <summary>Whether <paramref name="key"/> is resident in any tier.</summary>
    public bool Contains(in BlockKey key) => TierOf(key) >= 0;

    /// <summary>
    /// Which of <paramref name="keys"/> the store holds: resident in a tier (<see cref="Contains"/>), or, for the keys no
    /// tier indexes, held by its shared tier (<see cref="IRemoteBlockSource"/>, a Redis or Garnet server other stores
    /// write into), asked about them all in one query outside the lock (one pipelined round trip on the Redis tier).
    /// For a server that never held a session (a restore looking for its snapshot, a router checking reuse before a
    /// prefill). Moves nothing, tells no policy; a shared tier that cannot be asked holds nothing. A hint: a read verifies.
    /// </summary>
    /// <param name="keys">The keys asked about, in any order; an empty key is never held.</param>
    /// <param name="held">Receives, per key, whether it is held; at least as long as <paramref name="keys"/>.</param>
    /// <returns>How many of <paramref name="keys"/> are held.</returns>
    /// <exception cref="ArgumentException"><paramref name="held"/> is shorter than <paramref name="keys"/>.</exception>
    public int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held) => _parts.Residency.Holds(this, keys, held);

    /// <summary><see cref="Holds"/> with the shared tier's query awaited, so no thread waits for the round trip.</summary>
    /// <param name="keys">The keys asked about; the caller keeps them (and <paramref name="held"/>) until the task completes.</param>
    /// <param name="held">Receives, per key, whether it is held; at least as long as <paramref name="keys"/>.</param>
    /// <param name="cancellationToken">Ends the wait for a place in the shared tier's read window or for its answer.</param>
    /// <exception cref="ArgumentException"><paramref name="held"/> is shorter than <paramref name="keys"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the answer came.</exception>
    public ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken = default) =>
        _parts.Residency.HoldsAsync(this, keys, held, cancellationToken);

    /// <summary>The tier that holds <paramref name="key"/>, or -1.</summary>
    public int TierOf(in BlockKey key) => _parts.Residency.TierOf(this, key);

    /// <summary>Removes a block from whichever tier holds it (pinned or not). Returns false when it was absent.</summary>
    public bool Remove(in BlockKey key) => _parts.Removals.Remove(this, key);

    /// <summary>Forwards a server's hint about a session to every tier's policy.</summary>
    public void Hint(long session, SessionHint hint) => _parts.Hints.Deliver(this, session, hint, -1);

    /// <summary>Forwards a server's hint about a session, with the length of the response that ended, to every tier's policy.</summary>
    /// <param name="session">The session the hint is about.</param>
    /// <param name="hint">How the session's response ended, or its state.</param>
    /// <param name="responseTokens">Tokens the response generated; not negative (a brief answer is followed by a quick reply
    /// more often than a long report; the agent policy reads it).</param>
    public void Hint(long session, SessionHint hint, int responseTokens) =>
        _parts.Hints.Deliver(this, session, hint, SessionHints.ResponseLength(responseTokens));

    /// <summary>Asynchronously stores a block (<see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte})"/>), copying
    /// outside the store's lock and awaiting the write on an <see cref="IAsyncBlockDevice"/> (flash).</summary>
    /// <param name="key">The block's key; never empty.</param>
    /// <param name="parent">The previous block's key, or <see cref="BlockKey.Empty"/>.</param>
    /// <param name="kv">The block's KV bytes; the caller keeps them unchanged until the task completes.</param>
    /// <param name="cancellationToken">Observed before the put starts; once the block's slot is reserved the put completes.</param>
    public ValueTask<PutResult> PutAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> kv,
        CancellationToken cancellationToken = default) => _parts.Writes.PutAsync(this, key, parent, kv, cancellationToken);

    /// <summary>As <see cref="TryGetAsync"/>; returns the bytes written into <paramref name="destination"/>, or -1 on a miss.</summary>
    public ValueTask<int> GetAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        _reads.GetAsync(this, key, destination, cancellationToken);

    /// <summary>
    /// Asynchronously copies the block stored under <paramref name="key"/> into <paramref name="destination"/>, as
    /// <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/> does; a tier whose device declares
    /// <see cref="IAsyncBlockDevice"/> (flash) is awaited outside the store's lock, after a place in its read window.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the stored block.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the block stays where it was, readable.</exception>
    public ValueTask<BlockRead> TryGetAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        _reads.TryGetAsync(this, key, destination, cancellationToken);

    /// <summary>Pins a resident block: never evicted, demoted or promoted until every pin is released. A tier's pins stay
    /// within <see cref="KvStoreOptions.MaxPinnedFraction"/> of it, so eviction always makes progress.</summary>
    /// <returns>False when the block is not resident or its tier's pin budget is spent.</returns>
    public bool Pin(in BlockKey key) => _parts.Pins.Pin(this, key);

    /// <summary>Releases one pin. Returns false when the block is not resident or not pinned.</summary>
    public bool Unpin(in BlockKey key) => _parts.Pins.Unpin(this, key);

    /// <summary>Whether <paramref name="key"/> is resident and pinned.</summary>
    public bool IsPinned(in BlockKey key) => _parts.Pins.IsPinned(this, key);

    /// <summary>
    /// Demotes every unpinned block out of the tiers above the lowest persistent (flash) tier, in each policy's victim
    /// order, so that they survive a restart; returns how many left those tiers (to flash, or dropped when flash declined
    /// them or had to make room). Does nothing without a persistent tier. Call it (or set
    /// <see cref="KvStoreOptions.FlushOnDispose"/>) before an orderly shutdown: new blocks reach flash only when demoted.
    /// </summary>
    public int Flush() => _parts.Shutdown.Flush(this);

    /// <summary>Removes every block from every tier, pinned or not (what a server does when its model or weights change,
    /// as vLLM's <c>reset_prefix_cache</c>). <see cref="Events"/> reports one <see cref="Events.KvEventKind.AllCleared"/>.</summary>
    public void Clear() => _parts.Removals.Clear(this);

    /// <summary>
    /// Offers one request's blocks to the store, as a server does per prompt and the harness per trace request: looks
    /// the whole request up at arrival (the resident prefix, and how much of it each tier holds), then offers every block
    /// in order with the request's context, in one lock hold, so the policies see the request as one unit.
    /// </summary>
    /// <remarks>
    /// A metadata-only store admits every absent block (docs/harness.md); a payload store leaves it for the caller's
    /// <see cref="Put(in BlockKey, in BlockKey, ReadOnlySpan{byte}, in BlockContext)"/>. A placement router loads or
    /// recomputes a prefix block below the top tier; a recomputed one leaves first and is admitted afresh where routed.
    /// </remarks>
    /// <param name="keys">The request's block keys, in order; each block's parent is the one before it. None empty.</param>
    /// <param name="session">The request's session (0: none).</param>
    /// <param name="labels">The request's workload labels (default: unlabelled).</param>
    /// <param name="nextUse">Per block, the index of the next request that uses it (<see cref="int.MaxValue"/>: never), for
    /// offline policies; empty when unknown.</param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    /// <param name="prefixServed">Receives, per prefix block, the tier it was loaded from, or -1 - tier when the router chose
    /// to recompute it. Routing needs it at least as long as <paramref name="keys"/>; when shorter, every prefix block is loaded.</param>
    /// <returns>What the request found resident at arrival.</returns>
    /// <exception cref="ArgumentException">A key is empty, or <paramref name="nextUse"/> is neither empty nor as long as <paramref name="keys"/>.</exception>
    public RequestOutcome OfferRequest(ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels = default,
        ReadOnlySpan<int> nextUse = default, Span<int> prefixPerTier = default, Span<sbyte> prefixServed = default) =>
        _parts.Requests.Offer(this, keys, session, labels, nextUse, prefixPerTier, prefixServed);

    /// <summary>Brings the lower-tier blocks among <paramref name="keys"/> up to the top tier (or as high as a placement
    /// router lets their labels go) before a request needs them, so that its reads find them on the lock-free path. A
    /// server calls it when a request is queued, with the request's block keys.</summary>
    /// <remarks>
    /// Runs off the caller's thread; each block is read and promoted outside the store's lock, only if its entry did not
    /// change meanwhile, in <paramref name="keys"/> order, also with a remote tier's <see cref="IConcurrentReads.ReadWindow"/>
    /// of reads in flight (shared with every other prefetch and batch). A read that throws leaves its block, and is
    /// rethrown once the reads in flight moved theirs. Top-tier, absent, pinned and moving blocks are skipped; at most
    /// the top tier's capacity moves, the first ones. No policy hears of an access (the request's own reads tell them).
    /// </remarks>
    /// <param name="keys">The blocks to bring up, typically a queued request's prefix; empty keys are ignored.</param>
    /// <param name="cancellationToken">Stops the prefetch between blocks and reaches a read; every block stays or is fully promoted.</param>
    /// <returns>How many blocks moved up.</returns>
    /// <exception cref="OperationCanceledException">Cancelled; the blocks moved so far stay moved.</exception>
    public Task<int> PrefetchAsync(ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken = default) =>
        _parts.Prefetcher.Start(this, keys, cancellationToken);

    /// <summary>
    /// Reads the blocks under <paramref name="keys"/>, block <c>i</c> into <paramref name="destination"/> from byte
    /// <c>i * BlockBytes</c> and what was found into <paramref name="results"/>[i] (a miss: false, 0 bytes, tier -1),
    /// with up to a tier's <see cref="IConcurrentReads.ReadWindow"/> reads in flight on it (shared with every other batch
    /// and prefetch), and moves none of them, so a snapshot restore does not push out its own unread blocks.
    /// </summary>
    /// <remarks>
    /// Each block is read as <see cref="TryGet(in BlockKey, Span{byte}, out int, out int)"/> reads it, but stays. A miss
    /// whose block is still resident (<see cref="Contains"/>) means its device did not answer. A read that throws leaves
    /// its block; the reads in flight end, none is sent, and the exception is rethrown.
    /// </remarks>
    /// <param name="keys">The blocks to read.</param>
    /// <param name="destination">Where they go; the caller keeps it until the task completes.</param>
    /// <param name="results">What was found, per key.</param>
    /// <param name="cancellationToken">Stops the batch between blocks and reaches the reads in flight; every block stays.</param>
    /// <returns>How many blocks were found.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <c>keys.Length * BlockBytes</c>,
    /// or <paramref name="results"/> than <paramref name="keys"/>; an empty key is a miss.</exception>
    /// <exception cref="InvalidOperationException">The store keeps no payloads (<see cref="MetadataOnly"/>).</exception>
    public Task<int> ReadBatchAsync(ReadOnlyMemory<BlockKey> keys, Memory<byte> destination, Memory<BlockRead> results,
        CancellationToken cancellationToken = default) => _parts.Batches.Start(this, keys, destination, results, cancellationToken);

    /// <summary>Whether the store has a shared tier that takes copies (<see cref="ShareAsync"/>; <see cref="IRemoteBlockSource.CanShare"/>).</summary>
    public bool CanShare => _parts.Shares.CanShare;

    /// <summary>
    /// Copies the blocks of <paramref name="keys"/> that this store holds to its shared tier (a Redis or Garnet server
    /// other stores read, <see cref="IRemoteBlockSource"/>) without moving them: each stays where it is here, and any
    /// store of the fleet can now fetch it, also after this one is gone. The value written is the one the shared tier's
    /// device writes for a demoted block (header, checksum, seal), so a fetch verifies it. A block whose copy here lives
    /// in the shared tier itself is there already and is not sent; a key not held is not shared; while the shared tier
    /// cannot take a write (<see cref="IWriteAvailability"/>) nothing is sent; a write that fails is counted, not thrown.
    /// </summary>
    /// <remarks>
    /// The bytes are read as <see cref="ReadBatchAsync"/> reads them (nothing moves; a lower tier's policy hears of the
    /// read), and the writes are awaited outside the lock, up to the device's <see cref="IConcurrentWrites.WriteWindow"/>
    /// in flight: no thread waits on the network. Blocks are sent in order, but may land out of order within a window:
    /// a caller whose readers must not see one block before others (a snapshot's manifest) awaits a share of those first.
    /// </remarks>
    /// <param name="keys">The blocks to share; the caller keeps them unchanged until the task completes.</param>
    /// <param name="cancellationToken">Stops the share: no new write is sent, those in flight end, then it throws.</param>
    /// <returns>Per outcome, how many keys (<see cref="ShareResult.OnSharedTier"/>: how many the shared tier holds now).</returns>
    /// <exception cref="NotSupportedException">The store has no shared tier, or its device cannot write copies (<see cref="CanShare"/>).</exception>
    public Task<ShareResult> ShareAsync(ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken = default) =>
        _parts.Shares.Start(this, keys, cancellationToken);

    /// <summary>The placement ledger the store records into, or null.</summary>
    public PlacementLedger? Ledger => _parts.Ledger;

    /// <summary>Where <paramref name="key"/> is and the ledger's entries that put it there, oldest first (diagnostics: allocates).</summary>
    public BlockExplanation Explain(in BlockKey key) => _parts.Explainer.Explain(this, key);

    /// <summary>The store's KV events: subscribe to learn of every block stored into or removed from any tier (see
    /// docs/kv-events.md; <c>KvTiering.KvEvents</c> publishes them on vLLM's ZeroMQ wire format).</summary>
    public KvEventFeed Events => _events;

    /// <summary>Runs <paramref name="action"/> under the store's lock with every resident block and its tier.</summary>
    internal void WithResidentBlocks(Action<IEnumerable<(BlockKey Key, BlockKey Parent, int Tier, TierKind Medium)>> action) =>
        _parts.Census.WithResidentBlocks(this, action);

    /// <summary>A snapshot of every counter.</summary>
    public StoreStatistics GetStatistics() => _parts.Census.Snapshot();

    /// <summary>Write-behind jobs (demotions, slot frees) queued and not yet booked: a state tests wait for.</summary>
    internal int WriteBehindPending => _parts.WriteBehind.Pending;

    /// <summary>Releases every device (native slabs, flash file handles). Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _parts.Shutdown.Close();

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
