using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Eviction;

/// <summary>
/// A named recipe for one tier's eviction policy: the non-generic face over a struct policy, so options, the CLI
/// and the harness can pick policies by value while the store's hot core runs each one as a generic parameter.
/// </summary>
public abstract class EvictionPolicy
{
    private protected EvictionPolicy(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The policy's name, as the CLI and reports spell it (e.g. "lru").</summary>
    public string Name { get; }

    /// <summary>Least recently used: the default of every engine and the baseline of every comparison.</summary>
    public static EvictionPolicy Lru { get; } = Create("lru", static () => new LruPolicy());

    /// <summary>
    /// Registers a policy type. <paramref name="factory"/> makes one fresh instance per tier.
    /// </summary>
    public static EvictionPolicy Create<TPolicy>(string name, Func<TPolicy> factory)
        where TPolicy : IEvictionPolicy
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Typed<TPolicy>(name, factory);
    }

    internal abstract Tier CreateTier(int index, TierProfile profile, IBlockDevice device);

    /// <inheritdoc />
    public override string ToString() => Name;

    private sealed class Typed<TPolicy>(string name, Func<TPolicy> factory) : EvictionPolicy(name)
        where TPolicy : IEvictionPolicy
    {
        internal override Tier CreateTier(int index, TierProfile profile, IBlockDevice device) =>
            new Tier<TPolicy>(index, profile, device, factory(), this);
    }
}
