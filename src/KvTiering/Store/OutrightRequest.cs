using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>What <see cref="Tier.OfferOutright"/> needs besides the request's spans: the store's parts, the table's
/// <see cref="BlockTable.Removals"/> at the lookup, and the request's context.</summary>
internal readonly record struct OutrightRequest(
    BlockTable Table, TierChain Chain, StoreCounters Counters, long Removals, long Session, WorkloadLabels Labels);
