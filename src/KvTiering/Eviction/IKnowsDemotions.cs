namespace KvTiering.Eviction;

/// <summary>
/// A capability an eviction policy declares when it tells a block demoted into its tier (the victim of a tier above)
/// from a block a request put or used: the store then reports such an insert through <see cref="OnDemotion"/> instead
/// of <see cref="IEvictionPolicy.OnInsert"/>. A policy that learns from requests (a session's gaps, its last request,
/// how deep it went) must not learn from a demotion, which happens when a tier above gave the block up, not when it
/// was used (<see cref="Store.KvStoreOptions.TellDemotions"/> turns this off; <see cref="TierView.TellsDemotions"/>
/// says which a tier gets). Promotions are requests (a hit caused them) and stay <see cref="IEvictionPolicy.OnInsert"/>.
/// </summary>
/// <remarks>
/// A tier whose policy does not declare the capability pays one flag test per demotion into it and calls
/// <see cref="IEvictionPolicy.OnInsert"/> as before. One that does is called through this interface, once per
/// demotion; a struct policy (<see cref="EvictionPolicy.Create{TPolicy}(string, Func{TPolicy})"/>) is called on a copy
/// of itself boxed once, right after <see cref="IEvictionPolicy.Attach"/> (as <see cref="IKnowsDeadBlocks"/> is), so
/// the state <see cref="OnDemotion"/> changes must live behind references the copy shares (arrays or objects made in
/// Attach), not in scalar fields of the struct. The <see cref="IEvictionPolicy.Admit"/> call before a demotion carries
/// <see cref="BlockInfo.IsDemotion"/>. The demoted block's recency is the policy's choice; an LRU-like order that puts
/// it at its most recent end keeps the tiers one exclusive LRU stack (the DEMOTE operation of Wong and Wilkes, "My
/// Cache or Yours? Making Storage More Exclusive", USENIX ATC 2002). Called under the store's lock; it must not
/// allocate.
/// </remarks>
public interface IKnowsDemotions
{
    /// <summary>
    /// A block entered the tier under <paramref name="handle"/>, demoted from a tier above: called instead of
    /// <see cref="IEvictionPolicy.OnInsert"/>, and <see cref="IEvictionPolicy.OnRemove"/> follows when it leaves.
    /// </summary>
    void OnDemotion(int handle);
}
