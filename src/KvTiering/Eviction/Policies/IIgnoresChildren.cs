namespace KvTiering.Eviction;

/// <summary>
/// Marks a policy that never asks <see cref="TierView.ResidentChildren"/>: when every tier's policy is one, the block
/// table keeps no child counts, so an eviction need not load the victim's parent to uncount it (a cold line per miss in
/// a replay). The other parent facts (<see cref="TierView.Parent"/>, <see cref="TierView.IsParentResident"/>) are kept.
/// </summary>
internal interface IIgnoresChildren
{
}
