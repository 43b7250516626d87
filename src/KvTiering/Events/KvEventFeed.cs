using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Tiers;

namespace KvTiering.Events;

/// <summary>
/// A store's KV events: every block stored into or removed from any tier, handed to each subscriber's bounded queue
/// without ever blocking the store. <c>KvTiering.KvEvents</c> publishes them on vLLM's ZeroMQ wire format.
/// </summary>
/// <remarks>
/// Events are raised where the store binds a block to a tier slot or unbinds it, so admission, demotion (removed from
/// the upper tier, stored in the lower), promotion, eviction, <see cref="TieredKvStore.Remove"/> and corrupt-block
/// drops are all covered, for every tier — the gap llm-d-kv-cache #520 and SGLang RFC #29709 report for engines whose
/// lower tiers emit nothing. With no subscriber the store pays one volatile read per bind.
/// </remarks>
public sealed class KvEventFeed
{
    private readonly TieredKvStore _store;
    private readonly Lock _gate = new();
    private KvEventSubscription[] _subscribers = [];

    internal KvEventFeed(TieredKvStore store) => _store = store;

    /// <summary>Number of live subscriptions.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>Subscribes to every event from now on.</summary>
    /// <param name="capacity">Events the subscriber's queue holds before it drops (and counts) the newest.</param>
    /// <param name="snapshot">
    /// When true, the subscription starts with <see cref="KvEventKind.AllCleared"/> followed by one
    /// <see cref="KvEventKind.Stored"/> per resident block, taken atomically with the subscription, so a subscriber that
    /// joins late (or an index resyncing after a restart) ends up with the store's exact state.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public KvEventSubscription Subscribe(int capacity = 65_536, bool snapshot = false)
    {
        if (capacity <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(capacity), capacity, "An event queue needs room for at least one event.");
        }

        var subscription = new KvEventSubscription(this, capacity);
        if (snapshot)
        {
            // Under the store's lock: no block moves between the snapshot and the first live event.
            _store.WithResidentBlocks(resident =>
            {
                subscription.Offer(KvEventKind.AllCleared, default, default, -1, default);
                foreach ((BlockKey key, BlockKey parent, int tier, TierKind medium) in resident)
                {
                    subscription.Offer(KvEventKind.Stored, key, parent, tier, medium);
                }

                Add(subscription);
            });
        }
        else
        {
            Add(subscription);
        }

        return subscription;
    }

    internal void Add(KvEventSubscription subscription)
    {
        lock (_gate)
        {
            Volatile.Write(ref _subscribers, [.. _subscribers, subscription]);
        }
    }

    internal void Unsubscribe(KvEventSubscription subscription)
    {
        lock (_gate)
        {
            Volatile.Write(ref _subscribers, Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription)));
        }
    }

    internal void Raise(KvEventKind kind, in BlockKey key, in BlockKey parent, int tier, TierKind medium)
    {
        KvEventSubscription[] subscribers = Volatile.Read(ref _subscribers);
        foreach (KvEventSubscription s in subscribers)
        {
            s.Offer(kind, key, parent, tier, medium);
        }
    }
}
