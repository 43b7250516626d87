using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The places a prefetch's demotions (<see cref="DemotionWindow"/>) take in the store-wide
/// <see cref="DeviceWriteWindow"/> of the tier their victims go down to, shared with write-behind and shares. The
/// places are taken before the moves begin, outside the store's lock (nothing under the lock waits for one), and the
/// moves begun under the lock are bounded by them; a place not used goes back at once, a used one when its write ends.
/// </summary>
/// <remarks>
/// The tier below is known only as the expected one: a victim may be passed over to a tier further down (the one below
/// cannot take a write now), or staged for the write-behind worker, which takes its own place. A move to another
/// windowed tier takes a place there without waiting when one is free (<see cref="TryTakeFor"/>), and is otherwise
/// copied synchronously, as one promotion's victim is: a wait then would hold the victim's store reader, which
/// <c>Dispose</c> waits for under the lock, across a wait for places held by writers that need the lock.
/// </remarks>
internal sealed class DemotionPlaces
{
    private readonly DeviceWriteWindow?[] _below; // per tier: the places of the tier below, when a prefetch's moves take them

    public DemotionPlaces(Tier[] tiers)
    {
        _below = new DeviceWriteWindow?[tiers.Length];
        for (int t = 0; t + 1 < tiers.Length; t++)
        {
            _below[t] = tiers[t + 1].WriteBehind ? null : tiers[t + 1].WriteWindow; // write-behind: the worker takes them
        }
    }

    /// <summary>
    /// Places for up to <paramref name="most"/> moves out of <paramref name="into"/>: those free now, or, when none is,
    /// the first one free after the writers already waiting (the caller holds no lock and no store reader meanwhile).
    /// <see cref="int.MaxValue"/> (no bound) when the tier below takes none from prefetches.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; no place was taken.</exception>
    public async ValueTask<int> TakeAsync(Tier into, int most, CancellationToken cancellationToken)
    {
        if (_below[into.Index] is not { } places)
        {
            return int.MaxValue;
        }

        if (most <= 0)
        {
            return 0;
        }

        int taken = places.TryEnter(most);
        if (taken > 0)
        {
            return taken;
        }

        await places.EnterAsync(cancellationToken).ConfigureAwait(false);
        return 1 + places.TryEnter(most - 1);
    }

    /// <summary>Gives back <paramref name="count"/> places taken for moves out of <paramref name="into"/> that did not use them.</summary>
    public void Return(Tier into, int count)
    {
        if (count > 0)
        {
            _below[into.Index]?.Exit(count);
        }
    }

    /// <summary>The window whose place a move out of <paramref name="into"/> took by <see cref="TakeAsync"/>, if it uses one.</summary>
    public DeviceWriteWindow? Taken(Tier into, in DeferredDemotion move) =>
        move.Buffer < 0 && move.To.Index == into.Index + 1 && move.To.Device is IConcurrentWrites ? _below[into.Index] : null;

    /// <summary>
    /// For a move that took no place by <see cref="TakeAsync"/>: a place in its target's window when it is written
    /// asynchronously there and one is free now; null: write it synchronously (staged, a device without a window, or
    /// no place free).
    /// </summary>
    public static DeviceWriteWindow? TryTakeFor(in DeferredDemotion move) =>
        move.Buffer < 0 && move.To.WriteWindow is { } window && window.TryEnter(1) == 1 ? window : null;
}
