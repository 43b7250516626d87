namespace KvTiering.Eviction;

/// <summary>
/// Marks a policy that never reads a block's oracle next use (<see cref="TierView.NextUse"/>,
/// <see cref="BlockInfo.NextUse"/>): a replay offered outright to its one tier then skips the oracle's per-reference
/// array, a stream of one int per block reference that the loop would otherwise wait on (docs/harness.md "Speed").
/// The block's next use is then recorded as unknown (<see cref="long.MaxValue"/>).
/// </summary>
internal interface IIgnoresNextUse
{
}
