using System.Diagnostics.Metrics;
using KvTiering.Blocks;
using Microsoft.Extensions.Logging;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>How a <see cref="TieredKvStore"/> is built: the model layout, the tier chain, pins and promotion.</summary>
public sealed class KvStoreOptions
{
    /// <summary>The KV layout whose blocks the store holds. Required unless <see cref="MetadataOnly"/> is set.</summary>
    public KvLayout? Layout { get; set; }

    /// <summary>The tier chain, top (fastest) first. At least one, at most <see cref="TieredKvStore.MaxTiers"/>.</summary>
    public IList<TierOptions> Tiers { get; } = new List<TierOptions>();

    /// <summary>Keep no payload bytes: every decision is made as with payloads (the simulation harness uses this).</summary>
    public bool MetadataOnly { get; set; }

    /// <summary>Largest share of a tier's capacity that user pins may hold, so eviction always makes progress (default 0.5).</summary>
    public double MaxPinnedFraction { get; set; } = 0.5;

    /// <summary>Where a hit in a lower tier moves its block (default: to the top tier).</summary>
    public PromotionMode Promotion { get; set; } = PromotionMode.ToTop;

    /// <summary>The clock behind <see cref="Eviction.TierView.Now"/> (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// A short name for the store: tagged on its metrics as <c>kvtiering.store</c> and named in its log messages, so
    /// several stores in one process stay apart. Null (the default) for a single unnamed store.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// When set, the store publishes its counters as observable instruments on a meter named
    /// <see cref="Diagnostics.KvTieringDiagnostics.MeterName"/> from this factory (read at collection time; the hot
    /// path is untouched). Null (the default): no metrics.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Where the store logs opening, recovery, checksum failures and dropped writes. Null (the default): nowhere.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Whether <see cref="TieredKvStore.Dispose"/> first calls <see cref="TieredKvStore.Flush"/>, so an orderly
    /// shutdown keeps the blocks of the memory tiers on the flash tier below them (default false).
    /// </summary>
    public bool FlushOnDispose { get; set; }

    /// <summary>
    /// Staging buffers (one block each) of the write-behind queue that carries writes into slow tiers (those with
    /// <see cref="TierOptions.WriteBehind"/>: demotions, and puts that land there directly) off the put's path; default
    /// 8, 0 writes every block synchronously. While all are in use a put waits for one before it takes the store's
    /// lock, and a write that still finds none is written on the put's path (<see cref="TierStatistics.WriteBehindOverflows"/>): none is dropped for want of
    /// room. They also bound the writes in flight to a device that declares <see cref="Devices.IConcurrentWrites"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int WriteBehindBlocks
    {
        get => _writeBehindBlocks;
        set
        {
            if (value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(WriteBehindBlocks), value, "The write-behind queue cannot hold fewer than 0 blocks.");
            }

            _writeBehindBlocks = value;
        }
    }

    private int _writeBehindBlocks = 8;

    /// <summary>
    /// The nice value the write-behind worker's thread runs at (Linux only; elsewhere, or if refused, it keeps its
    /// priority and the reason is logged): 0 (the process's own priority) to 19 (the lowest). Default 0. Higher
    /// values let the threads serving requests have the cores when there are as many of them busy as cores: the
    /// worker's queue then fills sooner, and puts wait for room in it more often
    /// (<see cref="TierStatistics.WriteBehindOverflows"/> counts demotions written on a put's path); a hit never waits for it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value lies outside 0 to 19.</exception>
    public int WriteBehindNice
    {
        get => _writeBehindNice;
        set
        {
            if (value is < 0 or > BackgroundPriority.Lowest)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(WriteBehindNice), value, $"WriteBehindNice {value} must lie in [0, {BackgroundPriority.Lowest}].");
            }

            _writeBehindNice = value;
        }
    }

    private int _writeBehindNice;

    /// <summary>
    /// Whether a victim its tier's policy knows is dead (<see cref="Eviction.IKnowsDeadBlocks"/>: a closed session's
    /// private block, a branch its session left) leaves the store instead of being demoted into the tier below, where
    /// it would take a live block's room and cost a write (default true). Policies without the capability are not
    /// asked; <see cref="TieredKvStore.Flush"/> demotes every block regardless. False demotes every victim, as before.
    /// </summary>
    public bool DropDeadVictims { get; set; } = true;

    /// <summary>
    /// Whether a block demoted into a lower tier whose policy declares <see cref="Eviction.IKnowsDemotions"/> is
    /// reported to it as a demotion (<see cref="Eviction.IKnowsDemotions.OnDemotion"/>) rather than as an insert that
    /// a request made: the agent policy then does not count it as a request of its session. Default false: every
    /// insert goes through <see cref="Eviction.IEvictionPolicy.OnInsert"/>, because without <see cref="TellRequests"/> a
    /// lower tier sees no request the tiers above serve, and a demotion counted as a request is, on the traces measured,
    /// the better proxy for a session still active above (docs/architecture.md, "Demotions are not requests").
    /// </summary>
    public bool TellDemotions { get; set; }

    /// <summary>
    /// Whether a lower tier whose policy declares <see cref="Eviction.IKnowsRequestsAbove"/> hears of each request's
    /// arrival (<see cref="TieredKvStore.OfferRequest"/>, a request of a session), the requests the tiers above serve
    /// included: the agent policy there then moves the session's gap and latest request as the request's own tier
    /// does, without touching blocks. Default false (docs/architecture.md, "Lower tiers hear of requests served above").
    /// </summary>
    public bool TellRequests { get; set; }

    /// <summary>
    /// Routes labelled blocks (entry tier, admission, promotion ceiling, load vs recompute); null (default) admits
    /// every block into the top tier and loads every hit (docs/placement.md).
    /// </summary>
    public PlacementRouter? Router { get; set; }

    /// <summary>Records every placement decision and movement; null (default) records nothing. One store per ledger.</summary>
    public PlacementLedger? Ledger { get; set; }

    /// <summary>Throws when the options cannot build a store; the message names the value.</summary>
    internal void Validate(int maxTiers)
    {
        if (Tiers.Count == 0)
        {
            ThrowHelper.ThrowArgument("options", "A store needs at least one tier.");
        }

        if (Tiers.Count > maxTiers)
        {
            ThrowHelper.ThrowArgument("options", $"A store has at most {maxTiers} tiers; {Tiers.Count} were given.");
        }

        if (!MetadataOnly && Layout is null)
        {
            ThrowHelper.ThrowArgument("options", "A store that keeps payloads needs a KV layout (options.Layout).");
        }

        if (!(MaxPinnedFraction is >= 0 and <= 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange("options", MaxPinnedFraction, $"MaxPinnedFraction {MaxPinnedFraction} must lie in [0, 1].");
        }
    }
}
