namespace KvTiering.Eviction;

/// <summary>
/// An eviction policy for agent workloads (input:output near 100:1, many concurrent sessions, contexts far larger
/// than the cache). It keeps whole sessions rather than cycling every session through the cache: blocks are grouped
/// by the session that last used them; the victim session is the one expected back last — its expected wait grows
/// with idle time once it is past its usual gap (a finished or long-paused session goes first), a first-seen session
/// is on probation — and within the victim session the deepest block goes first, so what stays is a usable prefix.
/// Blocks a session's latest request went past on another branch (an edited or compacted context) are dead and go
/// before every live session, unless the session is one that comes back to branches it skipped.
/// Blocks shared by several sessions (system prompt, tool definitions) sit in their own LRU segment that outlives
/// every session's tail. Server hints override the timing: a session waiting on a tool or on its user is ranked by its
/// remaining wait, read from the tool and answer times learned from every session; a closed one goes first. Where recency would do better
/// (a tier that holds most live sessions), the policy ranks sessions by recency instead: two miniature caches, fed a
/// hashed sample of the sessions, say which of the two orderings currently hits more.
/// </summary>
/// <remarks>
/// Design, ablation and the commands that reproduce every number: docs/policies/agent.md. The expected-return ranking
/// approximates Belady's MIN (Belady 1966) online; under thrashing it behaves like MRU on cyclic access (evicting the
/// session just served, whose next request is furthest), and the growth of expected wait with idle time follows the
/// heavy-tailed ("Lindy") gap distributions of interactive sessions. The choice between orderings is a miniature
/// simulation (Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations", USENIX ATC 2017).
/// </remarks>
public struct AgentPolicy : IEvictionPolicy, IKnowsDeadBlocks, IKnowsDemotions, IKnowsRequestsAbove
{
    private readonly AgentPolicyOptions _options;
    private AgentSessionTable? _table;

    /// <summary>The policy with default tunables.</summary>
    public AgentPolicy()
        : this(AgentPolicyOptions.Default)
    {
    }

    /// <summary>The policy with the given tunables.</summary>
    public AgentPolicy(AgentPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _table = null;
    }

    /// <inheritdoc />
    public void Attach(TierView tier) => _table = new AgentSessionTable(tier, _options ?? AgentPolicyOptions.Default);

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => _table!.Admit(block);

    /// <inheritdoc />
    public readonly void OnInsert(int handle) => _table!.Touch(handle, inserted: true);

    /// <inheritdoc />
    public readonly void OnDemotion(int handle) => _table!.Demoted(handle);

    /// <inheritdoc />
    public readonly void OnRequestAbove(long session, double now) => _table!.RequestAbove(session, now);

    /// <inheritdoc />
    public readonly void OnAccess(int handle) => _table!.Touch(handle, inserted: false);

    /// <inheritdoc />
    public readonly void OnRemove(int handle) => _table!.Remove(handle);

    /// <inheritdoc />
    public readonly int SelectVictim() => _table!.SelectVictim();

    /// <inheritdoc />
    public readonly bool IsDead(int handle) => _table!.IsDead(handle);

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint) => _table!.Hint(session, hint);
}
