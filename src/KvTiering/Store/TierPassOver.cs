using System.Runtime.CompilerServices;
using KvTiering.Devices;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The one place where a block that would land in a tier whose device cannot take a write now
/// (<see cref="Tier.TakesWritesNow"/>, <see cref="IWriteAvailability"/>: a remote server down or backed off) passes that
/// tier over, and is booked so: the tier's <see cref="TierCounters.Rejections"/> and
/// <see cref="TierCounters.UnreachableWrites"/>, and a ledger line (<see cref="PlacementAction.Reject"/>,
/// <see cref="PlacementReason.DeviceUnreachable"/>). Every site that lands a block in a tier asks it before anything
/// else (before the tier's policy is asked to admit it, before room is made): a put (<see cref="TierChain.Admit"/>,
/// <see cref="PutReservation"/>), a victim's demotion (<see cref="VictimEviction"/>), a promotion
/// (<see cref="LockedPromotion"/>, <see cref="PromotionCopies"/>) and a prefetch (<see cref="BlockPrefetch"/>). Call
/// under the store's lock.
/// </summary>
/// <remarks>
/// Why one place: before polish30 three sites repeated the bookkeeping and the promotions asked nothing; a promotion
/// into a tier that could not take a write made room there (its victims dropped, their reads from the down device
/// failing), then wrote and failed, counted as a write failure.
/// </remarks>
internal sealed class TierPassOver
{
    private readonly IPlacementHooks _placement;

    public TierPassOver(IPlacementHooks placement) => _placement = placement;

    /// <summary>
    /// Whether entry <paramref name="e"/>, coming from tier <paramref name="from"/> (-1: a new block), passes
    /// <paramref name="to"/> over because its device cannot take a write now; if so it is booked. A device that does not
    /// declare <see cref="IWriteAvailability"/> costs a null test.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Unreachable(Tier to, int e, int from) => !to.TakesWritesNow && Book(to, e, from);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Book(Tier to, int e, int from)
    {
        to.Counters.Rejections++;
        to.Counters.UnreachableWrites++;
        _placement.Note(PlacementAction.Reject, PlacementReason.DeviceUnreachable, e, from, to.Index);
        return true;
    }
}
