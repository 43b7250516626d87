namespace KvTiering.Eviction;

/// <summary>
/// A capability an eviction policy of a lower tier declares when it wants to hear of every request that arrives at the
/// store, the ones the tiers above serve included: the store then calls <see cref="OnRequestAbove"/> once per request
/// of a session (<see cref="Store.TieredKvStore.OfferRequest"/>), before the request's blocks are looked up or offered.
/// A lower tier otherwise learns of a session only from the blocks demoted into it and the hits it serves, so a session
/// whose requests a tier above serves looks idle there (<see cref="Store.KvStoreOptions.TellRequests"/> turns this on).
/// </summary>
/// <remarks>
/// Only tiers with a tier above are told (the top tier sees every request's blocks itself), only requests of a session
/// (not session 0), and only requests offered as a unit: a server that stores and reads blocks one at a time tells no
/// tier of a request. Found as <see cref="IKnowsDemotions"/> is: on the policy instance, once, right after
/// <see cref="IEvictionPolicy.Attach"/> (a struct policy is boxed once then), so the state <see cref="OnRequestAbove"/>
/// changes must live behind references the copy shares. A policy without it is never called and costs the store
/// nothing per request. Called under the store's lock, before the request's own touches; it must not allocate, and it
/// must not touch blocks: the request may not reach this tier at all (the cache of Wong and Wilkes's exclusive
/// hierarchy, "My Cache or Yours? Making Storage More Exclusive", USENIX ATC 2002, hears of demotions only; this
/// adds the arrivals, which the session-level ranking of a lower tier needs).
/// </remarks>
public interface IKnowsRequestsAbove
{
    /// <summary>A request of <paramref name="session"/> arrived at the store at <paramref name="now"/> (the store's clock, <see cref="TierView.Now"/>).</summary>
    void OnRequestAbove(long session, double now);
}
