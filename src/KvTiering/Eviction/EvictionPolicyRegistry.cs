namespace KvTiering.Eviction;

/// <summary>
/// The policies a user registered through <see cref="EvictionPolicies.Register(EvictionPolicy, bool)"/>, and which
/// policies read session hints. Copy-on-write arrays: lookups (every <c>FromName</c>) take no lock, registrations (a
/// handful at start-up) do.
/// </summary>
internal static class EvictionPolicyRegistry
{
    private static readonly Lock s_lock = new();
    private static Entry[] s_entries = [];

    public static IReadOnlyList<string> Names => Array.ConvertAll(Volatile.Read(ref s_entries), static e => e.Policy.Name);

    public static void Add(EvictionPolicy policy, bool readsSessionHints, IReadOnlyList<string> builtInNames)
    {
        foreach (string name in builtInNames)
        {
            if (string.Equals(name, policy.Name, StringComparison.OrdinalIgnoreCase))
            {
                ThrowHelper.ThrowArgument(nameof(policy), $"Policy name '{policy.Name}' is taken by a built-in policy.");
            }
        }

        lock (s_lock)
        {
            Entry[] entries = s_entries;
            foreach (Entry e in entries)
            {
                if (string.Equals(e.Policy.Name, policy.Name, StringComparison.OrdinalIgnoreCase))
                {
                    if (ReferenceEquals(e.Policy, policy))
                    {
                        return; // registering the same policy twice (a module initializer and a scan) is harmless
                    }

                    ThrowHelper.ThrowArgument(nameof(policy), $"A policy named '{policy.Name}' is already registered.");
                }
            }

            Volatile.Write(ref s_entries, [.. entries, new Entry(policy, readsSessionHints)]);
        }
    }

    public static EvictionPolicy? Find(string name)
    {
        foreach (Entry e in Volatile.Read(ref s_entries))
        {
            if (string.Equals(e.Policy.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return e.Policy;
            }
        }

        return null;
    }

    public static bool ReadsSessionHints(EvictionPolicy policy)
    {
        foreach (Entry e in Volatile.Read(ref s_entries))
        {
            if (ReferenceEquals(e.Policy, policy))
            {
                return e.ReadsSessionHints;
            }
        }

        return false;
    }

    private readonly record struct Entry(EvictionPolicy Policy, bool ReadsSessionHints);
}
