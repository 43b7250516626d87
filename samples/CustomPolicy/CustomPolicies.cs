using KvTiering.Eviction;

namespace CustomPolicy;

/// <summary>
/// The policies of this assembly. <c>kvtier --policy-assembly CustomPolicy.dll</c> registers every public static
/// <see cref="EvictionPolicy"/> it finds, so <c>--policy mru</c> runs this one; in your own code call
/// <see cref="EvictionPolicies.Register(EvictionPolicy, bool)"/> once, or pass the policy directly.
/// </summary>
public static class CustomPolicies
{
    /// <summary>Most recently used ("mru").</summary>
    public static EvictionPolicy Mru { get; } = EvictionPolicy.Create("mru", static () => new MruPolicy());
}
