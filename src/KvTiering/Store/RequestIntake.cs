using KvTiering.Blocks;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.OfferRequest"/>'s way in: the request's arguments checked (one next use per key or none,
/// no empty key) before the lock, then <see cref="RequestOffer"/> run under one hold of it. Apart from
/// <see cref="RequestOffer"/>, which assumes both and is the harness's hot loop.
/// </summary>
internal sealed class RequestIntake
{
    private readonly TopTierReader _top;
    private readonly RequestOffer _offer;

    public RequestIntake(TopTierReader top, RequestOffer offer)
    {
        _top = top;
        _offer = offer;
    }

    /// <summary>Checks and offers one request; the arguments are <see cref="TieredKvStore.OfferRequest"/>'s.</summary>
    public RequestOutcome Offer(TieredKvStore store, ReadOnlySpan<BlockKey> keys, long session, WorkloadLabels labels,
        ReadOnlySpan<int> nextUse, Span<int> prefixPerTier, Span<sbyte> prefixServed)
    {
        store.ThrowIfDisposed();
        if (!nextUse.IsEmpty && nextUse.Length != keys.Length)
        {
            throw new ArgumentException($"nextUse has {nextUse.Length} entries for {keys.Length} keys; give one per key or none.", nameof(nextUse));
        }

        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i].IsEmpty)
            {
                ThrowHelper.ThrowEmptyKey(nameof(keys));
            }
        }

        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            return _offer.Offer(keys, session, labels, nextUse, prefixPerTier, prefixServed);
        }
    }
}
