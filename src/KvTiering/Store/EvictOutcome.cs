namespace KvTiering.Store;

/// <summary>What <see cref="BlockMover"/>'s eviction of a victim did.</summary>
internal enum EvictOutcome
{
    /// <summary>The victim moved down or left the store (its slot free, or reserved while I/O on it ends).</summary>
    Done,

    /// <summary>The victim's move was deferred: its bytes are copied outside the lock (<see cref="DeferredDemotion"/>).</summary>
    Deferred,

    /// <summary>
    /// The victim stayed where it was: the only room below waits on a write-behind write in flight
    /// (<see cref="BlockMover.InFlight"/>), and evicting it out of the store instead would lose it for nothing.
    /// </summary>
    Blocked,
}
