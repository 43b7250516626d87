using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// The store's default sink: forwards to its public <see cref="KvEventFeed"/>, tagging each event with the tier's
/// medium. With no subscriber each report costs one volatile read.
/// </summary>
internal sealed class FeedEventSink(KvEventFeed feed, TierKind[] media) : IBlockEventSink
{
    /// <summary>Whether anyone subscribes now (each report checks again).</summary>
    public bool HasSubscribers => feed.SubscriberCount != 0;

    public void OnStored(in BlockKey key, in BlockKey parent, int tier)
    {
        if (feed.SubscriberCount != 0)
        {
            feed.Raise(KvEventKind.Stored, key, parent, tier, media[tier]);
        }
    }

    public void OnRemoved(in BlockKey key, int tier)
    {
        if (feed.SubscriberCount != 0)
        {
            feed.Raise(KvEventKind.Removed, key, BlockKey.Empty, tier, media[tier]);
        }
    }

    public void OnCleared()
    {
        if (feed.SubscriberCount != 0)
        {
            feed.Raise(KvEventKind.AllCleared, BlockKey.Empty, BlockKey.Empty, -1, default);
        }
    }
}
