using System.Runtime.InteropServices;

namespace KvTiering.Eviction;

/// <summary>
/// Per-session state for the session-aware policies, keyed by session id, with a count of the session's resident
/// blocks so an entry is dropped when its last block leaves (and nothing pins it): the map holds live sessions only,
/// and after warm-up adding and dropping entries reuses the dictionary's free list instead of allocating.
/// </summary>
/// <typeparam name="TState">The policy's per-session fields.</typeparam>
internal sealed class SessionMap<TState>
    where TState : struct, ISessionState
{
    private readonly Dictionary<long, TState> _states;

    public SessionMap(int capacity) => _states = new Dictionary<long, TState>(Math.Min(capacity, 1 << 16));

    public int Count => _states.Count;

    /// <summary>The session's state, created empty when absent.</summary>
    public ref TState Get(long session) =>
        ref CollectionsMarshal.GetValueRefOrAddDefault(_states, session, out _);

    /// <summary>The session's state, or a null reference when the session has none.</summary>
    public ref TState Find(long session) => ref CollectionsMarshal.GetValueRefOrNullRef(_states, session);

    /// <summary>A block of <paramref name="session"/> entered the tier.</summary>
    public ref TState Added(long session)
    {
        ref TState state = ref Get(session);
        state.Blocks++;
        return ref state;
    }

    /// <summary>A block of <paramref name="session"/> left; the entry goes once the session holds no block.</summary>
    public void Removed(long session, double now)
    {
        ref TState state = ref Find(session);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state))
        {
            return;
        }

        if (--state.Blocks <= 0 && !state.Keep(now))
        {
            _states.Remove(session);
        }
    }
}

/// <summary>What <see cref="SessionMap{TState}"/> needs of a session's state.</summary>
internal interface ISessionState
{
    /// <summary>The session's resident blocks in this tier.</summary>
    int Blocks { get; set; }

    /// <summary>Whether the entry must outlive its last block (it remembers something the policy still needs).</summary>
    bool Keep(double now);
}
