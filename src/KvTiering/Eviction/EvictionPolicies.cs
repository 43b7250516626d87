namespace KvTiering.Eviction;

/// <summary>
/// Every built-in eviction policy, by name: what the CLI, the options and the harness pick from — and the policies a
/// user registered with <see cref="Register{TPolicy}(string, Func{TPolicy}, bool)"/>, which <see cref="FromName"/> finds
/// beside the built-ins (docs/policies/writing-a-policy.md).
/// </summary>
public static class EvictionPolicies
{
    /// <summary>Least recently used ("lru"), the baseline.</summary>
    public static EvictionPolicy Lru => EvictionPolicy.Lru;

    /// <summary>First in, first out ("fifo"): insertion order, accesses do not reorder.</summary>
    public static EvictionPolicy Fifo { get; } = EvictionPolicy.Create("fifo", static () => new FifoPolicy());

    /// <summary>LRU that evicts a request's tail before its head, as vLLM frees blocks ("lru-tail-first").</summary>
    public static EvictionPolicy LruTailFirst { get; } =
        EvictionPolicy.Create("lru-tail-first", static () => new LruTailFirstPolicy());

    /// <summary>LRU among blocks with no resident child, as radix caches evict ("leaf-lru").</summary>
    public static EvictionPolicy LeafLru { get; } = EvictionPolicy.Create("leaf-lru", static () => new LeafLruPolicy());

    /// <summary>CLOCK over the tail-first order: a hit only sets a reference bit, lock-free ("clock").</summary>
    public static EvictionPolicy Clock { get; } = EvictionPolicy.Create("clock", static () => new ClockPolicy());

    /// <summary>SIEVE, a FIFO with a visited bit and a sweeping hand ("sieve").</summary>
    public static EvictionPolicy Sieve { get; } = EvictionPolicy.Create("sieve", static () => new SievePolicy());

    /// <summary>S3-FIFO: small, main and ghost FIFO queues ("s3fifo").</summary>
    public static EvictionPolicy S3Fifo { get; } = EvictionPolicy.Create("s3fifo", static () => new S3FifoPolicy());

    /// <summary>ARC, the adaptive replacement cache ("arc").</summary>
    public static EvictionPolicy Arc { get; } = EvictionPolicy.Create("arc", static () => new ArcPolicy());

    /// <summary>W-TinyLFU, Caffeine's window plus frequency-admitted segmented LRU ("wtinylfu").</summary>
    public static EvictionPolicy WTinyLfu { get; } = EvictionPolicy.Create("wtinylfu", static () => new WTinyLfuPolicy());

    /// <summary>GreedyDual-Size-Frequency with recompute cost growing with depth ("gdsf").</summary>
    public static EvictionPolicy Gdsf { get; } = EvictionPolicy.Create("gdsf", static () => new GdsfPolicy());

    /// <summary>Belady's offline MIN, for the harness's replays with next-use oracles ("belady").</summary>
    public static EvictionPolicy Belady { get; } = EvictionPolicy.Create("belady", static () => new BeladyPolicy());

    /// <summary>The agent-workload policy (docs/policies/agent.md).</summary>
    public static EvictionPolicy Agent { get; } = EvictionPolicy.Create("agent", static () => new AgentPolicy());

    /// <summary>Continuum's tool-call TTL pins, TTL learned from tool durations ("continuum"; docs/policies/continuum.md).</summary>
    public static EvictionPolicy Continuum { get; } = EvictionPolicy.Create("continuum", static () => new ContinuumPolicy());

    /// <summary>Dynamo/SGLang TTL pins with refresh on hit under a pinned-share budget ("ttl-pin"; docs/policies/ttl-pin.md).</summary>
    public static EvictionPolicy TtlPin { get; } = EvictionPolicy.Create("ttl-pin", static () => new TtlPinPolicy());

    /// <summary>Tail-Optimized LRU ("tail-lru"; docs/policies/tail-lru.md).</summary>
    public static EvictionPolicy TailLru { get; } = EvictionPolicy.Create("tail-lru", static () => new TailLruPolicy());

    /// <summary>Segmented LRU with a ghost set, as vLLM's offloading cache ("slru"; docs/policies/slru.md).</summary>
    public static EvictionPolicy Slru { get; } = EvictionPolicy.Create("slru", static () => new SlruPolicy());

    /// <summary>Per-category exponential reuse probability, "KVCache Cache in the Wild" ("reuse-prob"; docs/policies/reuse-prob.md).</summary>
    public static EvictionPolicy ReuseProb { get; } = EvictionPolicy.Create("reuse-prob", static () => new ReuseProbPolicy());

    /// <summary>Marconi's recency + α × FLOP efficiency over leaves ("marconi"; docs/policies/marconi.md).</summary>
    public static EvictionPolicy Marconi { get; } = EvictionPolicy.Create("marconi", static () => new MarconiPolicy());

    private static readonly EvictionPolicy[] All =
        [Lru, Fifo, LruTailFirst, LeafLru, Clock, Sieve, S3Fifo, Arc, WTinyLfu, Gdsf, Continuum, TtlPin, TailLru, Slru,
            ReuseProb, Marconi, Agent, Belady];

    /// <summary>The names of every built-in policy, in a fixed order, "lru" first.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Array.ConvertAll(All, static p => p.Name));

    /// <summary>The built-in policy called <paramref name="name"/> (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="ArgumentException">No policy has that name; the message names it and lists the valid ones.</exception>
    public static EvictionPolicy FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        EvictionPolicy? found = Find(name.Trim()) ?? EvictionPolicyRegistry.Find(name.Trim());
        if (found is null)
        {
            ThrowHelper.ThrowArgument(nameof(name),
                $"Unknown eviction policy '{name}'. Valid policies: {string.Join(", ", AllNames)}.");
        }

        return found;
    }

    /// <summary>The built-in names followed by every registered policy's name, in registration order.</summary>
    public static IReadOnlyList<string> AllNames => [.. Names, .. EvictionPolicyRegistry.Names];

    /// <summary>
    /// Registers a user's policy under <paramref name="name"/> so that <see cref="FromName"/>, and with it
    /// <c>kvtier simulate --policy</c> and the store's options, find it. <paramref name="factory"/> makes one fresh
    /// instance per tier.
    /// </summary>
    /// <param name="name">The policy's name (case-insensitive; must not be a built-in's or an earlier registration's).</param>
    /// <param name="factory">Makes one policy instance per tier.</param>
    /// <param name="readsSessionHints">
    /// Whether the policy acts on <see cref="IEvictionPolicy.OnSessionHint"/>: reports label it <c>name+hints</c> when a
    /// replay delivers hints, and plain <c>name</c> otherwise (hints cannot change what it does).
    /// </param>
    /// <returns>The registered policy.</returns>
    /// <exception cref="ArgumentException">The name is empty or already taken.</exception>
    public static EvictionPolicy Register<TPolicy>(string name, Func<TPolicy> factory, bool readsSessionHints = false)
        where TPolicy : IEvictionPolicy
    {
        EvictionPolicy policy = EvictionPolicy.Create(name, factory);
        EvictionPolicyRegistry.Add(policy, readsSessionHints, Names);
        return policy;
    }

    /// <summary>Registers a policy made with <see cref="EvictionPolicy.Create{TPolicy}"/> (same rules as the factory overload).</summary>
    /// <param name="policy">The policy; its <see cref="EvictionPolicy.Name"/> is the name it is found by.</param>
    /// <param name="readsSessionHints">Whether the policy acts on session hints.</param>
    /// <exception cref="ArgumentException">The name is already taken by another policy.</exception>
    public static void Register(EvictionPolicy policy, bool readsSessionHints = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        EvictionPolicyRegistry.Add(policy, readsSessionHints, Names);
    }

    /// <summary>
    /// Whether <paramref name="policy"/> acts on session hints: the agent policy and its variants, the two pin policies
    /// (<see cref="Continuum"/> and <see cref="TtlPin"/> pin a session on its tool call), and registered policies that
    /// said so. The others' <c>OnSessionHint</c> does nothing, so a replay with hints equals one without.
    /// </summary>
    public static bool ReadsSessionHints(EvictionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ReferenceEquals(policy, Agent) || ReferenceEquals(policy, Continuum) || ReferenceEquals(policy, TtlPin)
            || policy.Name.StartsWith("agent:", StringComparison.OrdinalIgnoreCase)
            || EvictionPolicyRegistry.ReadsSessionHints(policy);
    }

    private static EvictionPolicy? Find(string name)
    {
        foreach (EvictionPolicy policy in All)
        {
            if (string.Equals(policy.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return policy;
            }
        }

        return null;
    }
}
