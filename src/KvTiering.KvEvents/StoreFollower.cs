using KvTiering.Events;

namespace KvTiering.KvEvents;

/// <summary>
/// Keeps a <see cref="ClusterPrefixIndex"/> instance in step with a store in the same process: pumps the store's event
/// feed into the index, and resets the instance when the feed dropped events (its sequence numbers skip), since what
/// the store holds is then unknown until the store clears.
/// </summary>
internal sealed class StoreFollower : IDisposable
{
    private readonly KvEventSubscription _subscription;
    private readonly Task _pump;

    public StoreFollower(ClusterPrefixIndex index, int instance, KvEventSubscription subscription)
    {
        _subscription = subscription;
        _pump = Task.Run(async () =>
        {
            long expected = 0;
            await foreach (KvEvent e in subscription.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (e.Sequence != expected)
                {
                    index.Reset(instance); // events were dropped: what the store holds is unknown until it clears
                }

                expected = e.Sequence + 1;
                index.Apply(instance, e);
            }
        });
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _pump.Wait(TimeSpan.FromSeconds(5));
    }
}
