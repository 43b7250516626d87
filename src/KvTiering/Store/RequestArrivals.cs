using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// Tells the policies of the tiers below the top that declare <see cref="IKnowsRequestsAbove"/> of each request's
/// arrival (<see cref="RequestOffer"/> calls it first, under the store's lock), so that a lower tier ranks a session
/// whose requests the tiers above serve as active, not as idle since its last demotion. Built only when
/// <see cref="KvStoreOptions.TellRequests"/> is on and some lower tier listens; otherwise there is none and a request
/// costs one null test.
/// </summary>
internal sealed class RequestArrivals
{
    private readonly IKnowsRequestsAbove[] _listeners;
    private readonly StoreClock _clock;

    private RequestArrivals(IKnowsRequestsAbove[] listeners, StoreClock clock)
    {
        _listeners = listeners;
        _clock = clock;
    }

    /// <summary>The arrivals' deliverer for <paramref name="tiers"/>, attached; null when <paramref name="tell"/> is off or no lower tier listens.</summary>
    public static RequestArrivals? Create(Tier[] tiers, StoreClock clock, bool tell)
    {
        if (!tell)
        {
            return null;
        }

        var listeners = new List<IKnowsRequestsAbove>();
        for (int t = 1; t < tiers.Length; t++)
        {
            if (tiers[t].RequestListener is { } listener)
            {
                listeners.Add(listener);
            }
        }

        return listeners.Count == 0 ? null : new RequestArrivals([.. listeners], clock);
    }

    /// <summary>A request of <paramref name="session"/> (not 0) arrived now: every listening lower tier is told, top down.</summary>
    public void Arrived(long session)
    {
        double now = _clock.NowSeconds;
        foreach (IKnowsRequestsAbove listener in _listeners)
        {
            listener.OnRequestAbove(session, now);
        }
    }
}
