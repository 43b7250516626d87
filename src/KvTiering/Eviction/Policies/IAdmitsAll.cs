namespace KvTiering.Eviction;

/// <summary>
/// Marks a policy whose <see cref="IEvictionPolicy.Admit"/> returns true for every block and keeps no state, so the
/// store may skip the call and the <see cref="BlockInfo"/> it would build for it (a replay admits on every miss).
/// </summary>
internal interface IAdmitsAll
{
}
