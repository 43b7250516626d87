using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>One replay: a policy over a tier chain (a single tier of <see cref="CapacityBlocks"/> unless tiers are given).</summary>
public sealed class ReplayOptions
{
    /// <summary>The eviction policy of every tier.</summary>
    public required EvictionPolicy Policy { get; init; }

    /// <summary>Total capacity in blocks of the trace's block size (the single tier's, or the sum of <see cref="Tiers"/>).</summary>
    public int CapacityBlocks { get; init; }

    /// <summary>An explicit tier chain (top first); when empty, one tier of <see cref="CapacityBlocks"/>.</summary>
    public IReadOnlyList<TierSpec> Tiers { get; init; } = [];

    /// <summary>
    /// The model whose KV layout sizes every modeled byte (blocks of the trace's size) and whose prefill the cost model
    /// prices; null replays hit rates only.
    /// </summary>
    public Blocks.ModelPreset? Model { get; init; }

    /// <summary>The accelerator that prices recompute (default: H100 SXM).</summary>
    public Cost.AcceleratorProfile? Accelerator { get; init; }

    /// <summary>
    /// Pass the trace's turn ends to the policies as session hints — a tool call →
    /// <see cref="Eviction.SessionHint.Paused"/>, an end of turn → <see cref="Eviction.SessionHint.AwaitingUser"/> —
    /// each when its response ends (the request's time plus <see cref="Traces.Trace.ResponseSeconds"/>; right after the
    /// request where that is not recorded), as a server embedding the store would. On by default; it has an effect only
    /// on a trace that records turn ends (<see cref="Traces.Trace.TurnEnds"/>), and then the result's policy label reads
    /// "name+hints". False replays the access stream alone (<c>--no-hints</c>).
    /// </summary>
    public bool Hints { get; init; } = true;

    /// <summary>
    /// Deliver each session's close (<see cref="Eviction.SessionHint.Closed"/>) a delay after its last response ends, as
    /// an agent framework would (<c>--close-hints</c>); independent of <see cref="Hints"/>, so a replay can tell the
    /// policies the session end alone. Null (the default) sends none.
    /// </summary>
    public SessionCloseOptions? Close { get; init; }

    /// <summary>
    /// Whether a victim its tier's policy knows dead leaves the store rather than move down a tier
    /// (<see cref="KvStoreOptions.DropDeadVictims"/>; default true). False demotes it as before (<c>--demote-dead</c>),
    /// for an A/B of the drop; the result's policy label then reads "+demotedead".
    /// </summary>
    public bool DropDeadVictims { get; init; } = true;

    /// <summary>
    /// Whether a block demoted into a lower tier reaches a policy that tells demotions apart as a demotion
    /// (<see cref="KvStoreOptions.TellDemotions"/>, <c>--tell-demotions</c>; default false: it is reported as an insert
    /// a request made). For an A/B; the result's policy label then reads "+telldemotions".
    /// </summary>
    public bool TellDemotions { get; init; }

    /// <summary>
    /// Whether lower tiers whose policy declares it hear of each request's arrival (<see cref="KvStoreOptions.TellRequests"/>,
    /// <c>--tell-requests</c>; default false). For an A/B; the result's policy label then reads "+tellrequests".
    /// </summary>
    public bool TellRequests { get; init; }

    /// <summary>Where lower-tier hits go.</summary>
    public PromotionMode Promotion { get; init; } = PromotionMode.ToTop;

    /// <summary>Labels every request (and so every block it offers); null replays unlabelled.</summary>
    public Placement.LabelRule? Labels { get; init; }

    /// <summary>
    /// Routes blocks by their labels through a <see cref="KvTiering.Placement.PlacementRouter"/> with these rules, priced
    /// by <see cref="Model"/> on <see cref="Accelerator"/> (no model: every hit loads); null routes nothing.
    /// </summary>
    public KvTiering.Placement.PlacementRouterOptions? Routing { get; init; }

    /// <summary>Records the replay's placement ledger here; one ledger per run.</summary>
    public KvTiering.Placement.PlacementLedger? Ledger { get; init; }

    /// <summary>Reports progress (requests done) now and then, for long runs.</summary>
    public IProgress<int>? Progress { get; init; }

    /// <summary>
    /// Called with the replay's store before the first request; what it returns is disposed after the last request,
    /// before the store (for example a KV-event publisher, <c>kvtier simulate --kv-events</c>). Null attaches nothing.
    /// </summary>
    public Func<Store.TieredKvStore, IDisposable?>? AttachStore { get; init; }
}
