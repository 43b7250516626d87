using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Placement;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.Store;

/// <summary>
/// Builds a <see cref="TieredKvStore"/>'s collaborators from its options and holds them for the store's life: opens
/// (and recovers) the tiers, builds the block table over them, and wires each collaborator to the ones it calls
/// (docs/architecture.md, "The core"). The public face validates and delegates to what it holds here.
/// </summary>
internal sealed class StoreParts
{
    private readonly PersistentTiers _persistent;
    private readonly IPlacementHooks _placement;

    /// <param name="options">The store's options, validated.</param>
    /// <param name="events">The store's KV-event feed, which the slots' binding reports to.</param>
    /// <param name="blockBytes">Largest payload of one block (0 when metadata-only).</param>
    public StoreParts(KvStoreOptions options, KvEventFeed events, int blockBytes)
    {
        bool metadataOnly = options.MetadataOnly;
        Clock = new StoreClock(options.TimeProvider ?? TimeProvider.System, options.Tiers.Count);
        Counters = new StoreCounters(metadataOnly, options.Layout?.BytesPerBlock ?? 0);
        PromotionMode promotion = options.Promotion;
        Microsoft.Extensions.Logging.ILogger logger = options.Logger ?? NullLogger.Instance;
        string name = options.Name ?? "default";
        TimeProvider time = options.TimeProvider ?? TimeProvider.System;
        int tiers = options.Tiers.Count;
        Log = new StoreLog(logger, name, new(logger, name, time, tiers), new(logger, name, time, tiers), new(logger, name, time, tiers));
        Tiers = TierDevices.OpenTiers(options, blockBytes, Log.Logger, out int entries);
        Entries = entries;
        Table = new BlockTable(entries, tracksChildren: Array.Exists(Tiers, t => !t.IgnoresChildren));
        foreach (Tier tier in Tiers)
        {
            tier.Clock = Clock;
            tier.TellsDemotions = tier.KnowsDemotions && options.TellDemotions && tier.Index > 0; // before Attach: the view reads it
            tier.Attach(new TierView(Clock, Table, tier));
            tier.DropsDead = tier.KnowsDead && options.DropDeadVictims && tier.Index + 1 < Tiers.Length;
        }

        Tier? shared = RemoteProbe.SourceTier(Tiers, metadataOnly);
        Top = new TopTierReader(Table, Tiers[0], Counters, Clock, metadataOnly, remoteMayHave: shared is not null);
        try
        {
            _placement = PlacementHooks.Create(Table, Clock, Tiers, options.Layout, options.Router, options.Ledger);
            Ledger = options.Ledger;
            Ledger?.Attach(Top.Lock, [.. Tiers.Select(t => t.Profile.Name)]);
        }
        catch
        {
            TierDevices.DisposeAll(Tiers);
            throw;
        }

        IPlacementHooks placement = _placement;
        Slots = new SlotBinding(Table, placement, new FeedEventSink(events, Array.ConvertAll(Tiers, static t => t.Profile.Kind)), Log);
        var damaged = new DamagedAtOpen();
        _persistent = new PersistentTiers(Table, Tiers, Log, damaged);
        _persistent.Recover(Slots, placement);
        WriteBehind = new WriteBehind(options, Table, Tiers, Top, Slots, Counters, placement, Log, blockBytes);
        var passOver = new TierPassOver(placement); // the one place a tier that cannot take a write now is passed over
        var mover = new BlockMover(Table, Tiers, Top, Slots, Counters, placement, passOver, WriteBehind, Log, metadataOnly, blockBytes);
        Chain = new TierChain(Table, Tiers, mover, Slots, Counters, placement, passOver, promotion, options.MaxPinnedFraction, damaged);
        ReservedPut = metadataOnly ? null : new ReservedPut(Table, Tiers, Top, Chain, mover, Slots, Counters, placement, passOver, WriteBehind);
        Puts = new PutIntake(Top, ReservedPut, Chain, Counters, metadataOnly, blockBytes);
        PromotionCopies? promotions = metadataOnly ? null : new PromotionCopies(Table, Tiers, Top, mover, Slots, Counters, placement, passOver);
        var remote = new RemoteProbe(Table, shared, Top, Counters, promotion, blockBytes);
        var locked = new LockedReader(Table, Tiers, Top, Chain, Slots, Counters, WriteBehind, remote, promotions, metadataOnly);
        AsyncReader? awaited = promotions is null ? null : new AsyncReader(Table, Tiers, Top, Chain, Counters, locked, promotions, remote);
        Reads = new ReadCascade(Top.Reads, locked, awaited, damaged);
        Residency = new ResidencyLookup(Table, Top, new RemoteQueries(shared, Top), Tiers.Length);
        Hints = new SessionHints(Tiers, Top, Clock);
        Shutdown = new StoreShutdown(Tiers, Top, _persistent, mover, WriteBehind, options.FlushOnDispose);
        var slotReads = new SlotReads(Top);
        Batches = new BatchReader(Table, Tiers, Top, Chain, Slots, Counters, slotReads, blockBytes);
        Shares = new SharedCopies(Table, shared, Top, blockBytes);
        Prefetcher = new Prefetcher(Table, Tiers, Top, Chain, Slots, Counters, placement, passOver, promotions, mover, promotion, slotReads,
            blockBytes);
        RequestArrivals? arrivals = RequestArrivals.Create(Tiers, Clock, options.TellRequests);
        Requests = new RequestIntake(Top, new RequestOffer(Table, Tiers, Chain, Slots, Counters, placement, arrivals, metadataOnly));
        Writes = new AsyncPut(ReservedPut, Top, blockBytes);
        Pins = new BlockPins(Table, Chain, Top);
        Removals = new StoreRemovals(Table, Tiers, Top, Chain, Slots);
        Census = new StoreCensus(Table, Tiers, Top, Counters, Slots);
        Explainer = new BlockExplainer(Table, Tiers, Ledger, Top);
        Diagnostics.Log.StoreOpened(Log.Logger, Log.Name, Tiers.Length, Entries - 1, blockBytes);
    }

    /// <summary>Entries the block table holds at most (every tier's capacity, plus one).</summary>
    public int Entries { get; }

    public BlockTable Table { get; }

    public Tier[] Tiers { get; }

    public StoreClock Clock { get; }

    public StoreCounters Counters { get; }

    public StoreLog Log { get; }

    /// <summary>The lock-free top-tier reader, also the writers' entry (its lock and seqlock).</summary>
    public TopTierReader Top { get; }

    public SlotBinding Slots { get; }

    public TierChain Chain { get; }

    /// <summary>Payload stores' puts, whose byte copies run outside the lock; null when metadata-only.</summary>
    public ReservedPut? ReservedPut { get; }

    public PutIntake Puts { get; }

    public ReadCascade Reads { get; }

    public ResidencyLookup Residency { get; }

    public SessionHints Hints { get; }

    public Prefetcher Prefetcher { get; }

    /// <summary>Batch reads (<see cref="TieredKvStore.ReadBatchAsync"/>; a metadata-only store refuses them).</summary>
    public BatchReader Batches { get; }

    /// <summary>Copies held blocks to the shared tier without moving them (<see cref="TieredKvStore.ShareAsync"/>).</summary>
    public SharedCopies Shares { get; }

    public RequestIntake Requests { get; }

    public AsyncPut Writes { get; }

    public BlockPins Pins { get; }

    public StoreRemovals Removals { get; }

    public StoreCensus Census { get; }

    public BlockExplainer Explainer { get; }

    public StoreShutdown Shutdown { get; }

    public WriteBehind WriteBehind { get; }

    public PlacementLedger? Ledger { get; }

    /// <summary>Starts verifying recovered flash blocks in the background (after the store is fully built).</summary>
    public void StartDeferredVerification() => _persistent.StartDeferredVerification(Top, Slots, _placement);
}
