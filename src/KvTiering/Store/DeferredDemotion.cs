using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// A victim's move one tier down whose byte copy runs outside the store's lock (<see cref="BlockMover.MakeRoom(Tier, ref DeferredDemotion, bool)"/>, <see cref="DemotionCopies"/>):
/// the victim stays mapped to its source slot, readable and in flight, while its bytes are copied into a slot reserved
/// in the lower tier; back under the lock it moves only if its entry did not change meanwhile.
/// </summary>
internal struct DeferredDemotion
{
    /// <summary>Whether a move is waiting for its copy (and then <see cref="BlockMover.CompleteDemotion"/>).</summary>
    public bool Active;

    /// <summary>The victim's entry and its stamp when the move began (a removal or a reuse of the entry changes it).</summary>
    public int Entry;

    public long Stamp;

    /// <summary>The tier and slot the victim leaves; the slot's I/O count keeps it from being freed meanwhile.</summary>
    public Tier From;

    public int FromSlot;

    /// <summary>The tier and the reserved (unmapped) slot the victim's bytes are copied into.</summary>
    public Tier To;

    public int ToSlot;

    /// <summary>The write-behind staging buffer the bytes go to (the worker then writes the slot), or -1.</summary>
    public int Buffer;

    /// <summary>The victim's payload length.</summary>
    public int Length;

    public BlockKey Key;

    public BlockKey Parent;

    /// <summary>What the copy raised, booked by <see cref="BlockMover.CompleteDemotion"/>.</summary>
    public IOException? Failure;
}
