using KvTiering.Placement;

namespace KvTiering.Eviction;

/// <summary>
/// What the caller of a put knows about a block beyond its key: where it sits in its sequence, whose it is, and,
/// for offline replay only, when it will be used next.
/// </summary>
/// <param name="Depth">Position in the sequence (0 = first block); -1 derives it from a resident parent.</param>
/// <param name="Session">The owning session (0 when unknown).</param>
/// <param name="NextUse">Oracle knowledge of the next use (replay only); <see cref="long.MaxValue"/> when unknown.</param>
public readonly record struct BlockContext(int Depth = -1, long Session = 0, long NextUse = long.MaxValue)
{
    /// <summary>No context: depth derived from the parent, no session, no oracle.</summary>
    public static BlockContext None => new(-1, 0, long.MaxValue);

    /// <summary>
    /// The workload labels of the put (default: none). A store with a placement router routes the block by them; a
    /// re-put with labels relabels a resident block.
    /// </summary>
    public WorkloadLabels Labels { get; init; }
}
