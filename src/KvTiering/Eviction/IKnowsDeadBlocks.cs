namespace KvTiering.Eviction;

/// <summary>
/// A capability an eviction policy declares when it can tell that a victim will not be used again: a closed session's
/// private block, a branch its session has left. The store asks it for each victim that has a tier below it; a block
/// known dead leaves the store (reported to the block-event sink as any eviction) instead of being demoted, so it
/// takes no room in the lower tiers and costs them no write (<see cref="Store.KvStoreOptions.DropDeadVictims"/> turns
/// this off). Victims of the last tier leave the store anyway, and the blocks the lower tiers already hold are not
/// touched: their own policies rank them.
/// </summary>
/// <remarks>
/// A tier whose policy does not declare the capability pays one flag test per victim and no call. One that does is
/// asked through this interface, one call per victim that has a tier below; a struct policy
/// (<see cref="EvictionPolicy.Create{TPolicy}(string, Func{TPolicy})"/>) is asked on a copy of itself boxed once,
/// right after <see cref="IEvictionPolicy.Attach"/> (a box per call would allocate on the eviction path), so the state
/// <see cref="IsDead"/> reads must live behind references the copy shares — arrays or objects made in Attach, as a
/// policy's per-handle state is anyway — not in scalar fields of the struct that change later. Answer only for what is certain: a wrong "dead" costs a hit the lower tier would
/// have served (the block is recomputed), never data, since the store holds recomputable KV. Called under the store's
/// lock, between <see cref="IEvictionPolicy.SelectVictim"/> and <see cref="IEvictionPolicy.OnRemove"/> for the same
/// handle; it must not change the policy's state or allocate.
/// </remarks>
public interface IKnowsDeadBlocks
{
    /// <summary>Whether the block under <paramref name="handle"/>, the victim just chosen, will not be used again.</summary>
    bool IsDead(int handle);
}
