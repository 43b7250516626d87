using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// A new block between its reservation and its publication (<see cref="ReservedPut"/>): a table entry no tier maps yet
/// (tier -1, in flight, invisible to readers) and the slot it will be bound to once its bytes are in.
/// </summary>
internal struct PendingPut
{
    /// <summary>
    /// Whether the put still holds the write-behind job slot promised to it before the lock
    /// (<see cref="WriteBehindRoom.WaitForRoom"/>): lent to each lock hold, taken by the hold's demotion, else given back
    /// when the put ends.
    /// </summary>
    public bool Room;

    /// <summary>The new block's entry and its stamp (a Remove meanwhile frees the entry: the Remove wins).</summary>
    public int Entry;

    public long Stamp;

    /// <summary>The tier the block was admitted to, and the first tier placement sent it to.</summary>
    public int Tier;

    public int StartTier;

    public PlacementReason Reason;

    /// <summary>The reserved slot in <see cref="Tier"/>, or -1 while a victim's move must land first.</summary>
    public int Slot;

    /// <summary>
    /// The write-behind staging buffer the block's bytes are copied into when <see cref="Tier"/> writes behind (the
    /// worker then writes <see cref="Slot"/>), or -1: the put writes the slot itself.
    /// </summary>
    public int Buffer;

    /// <summary>
    /// Set when room for the block waits on a write-behind write in flight (<see cref="BlockMover.InFlight"/>): the
    /// worker's next booking, which the put waits for outside the lock before it asks again.
    /// </summary>
    public Task? Booking;

    /// <summary>How many bookings this put has waited for; past a limit, in-flight victims are evicted as before.</summary>
    public int Waits;

    /// <summary>How many victims' moves this put has waited for; past a few, room is made under the lock.</summary>
    public int Deferrals;

    /// <summary>The victim's move that frees <see cref="Slot"/>, when one is in flight.</summary>
    public DeferredDemotion Victim;
}
