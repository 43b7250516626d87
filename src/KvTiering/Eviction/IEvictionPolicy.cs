namespace KvTiering.Eviction;

/// <summary>
/// The contract every eviction policy implements, one instance per tier. The store tells the policy what happens to
/// the tier's blocks and asks it which block to give up; blocks are named by small integer handles (the tier's slot
/// numbers, 0 to capacity − 1), and <see cref="TierView"/> gives read access to each one's parent, depth, session,
/// size and pin state.
/// </summary>
/// <remarks>
/// Implement it as a struct and register it with <see cref="EvictionPolicy.Create{TPolicy}(string, Func{TPolicy})"/>:
/// the store then runs it as a generic struct parameter of its hot core, so calls inline with no interface dispatch
/// (the technique BitFaster.Caching uses for its policies). A class works too, at one interface call per event.
/// Calls arrive one at a time under the store's lock; none may allocate on the steady-state path.
/// </remarks>
public interface IEvictionPolicy
{
    /// <summary>Called once, before any other call, with the tier the policy serves. Size per-handle state here.</summary>
    void Attach(TierView tier);

    /// <summary>Whether a block that is about to enter the tier should be admitted. Return false to bypass the tier.</summary>
    bool Admit(in BlockInfo block);

    /// <summary>A block entered the tier under <paramref name="handle"/>.</summary>
    void OnInsert(int handle);

    /// <summary>
    /// The block under <paramref name="handle"/> was read or offered again. Not called in a tier whose policy chose
    /// <see cref="TierView.UseReferenceBits"/>: there the hit sets the block's reference bit instead.
    /// </summary>
    void OnAccess(int handle);

    /// <summary>The block under <paramref name="handle"/> left the tier (evicted, demoted, promoted or removed).</summary>
    void OnRemove(int handle);

    /// <summary>
    /// The handle to give up next, or -1 when none can go. The victim must satisfy <see cref="TierView.IsEvictable"/>;
    /// the store calls <see cref="OnRemove"/> for it afterwards.
    /// </summary>
    int SelectVictim();

    /// <summary>A server's hint about a session (paused, resumed, closed). Policies that do not use hints ignore it.</summary>
    void OnSessionHint(long session, SessionHint hint);
}
