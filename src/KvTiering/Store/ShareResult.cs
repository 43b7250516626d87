namespace KvTiering.Store;

/// <summary>What <see cref="TieredKvStore.ShareAsync"/> did with each key asked about.</summary>
/// <param name="Copied">Blocks written to the shared tier by this call (acknowledged by it).</param>
/// <param name="AlreadyShared">Blocks the shared tier held already: this store's copy lives in that tier, so nothing was sent.</param>
/// <param name="NotResident">Keys this store does not hold (never put, evicted, empty): nothing to copy.</param>
/// <param name="Unavailable">Blocks not sent because the shared tier could not take a write then (backing off, disconnected).</param>
/// <param name="Failed">Blocks whose local read or shared write failed (a fault, a corrupt local copy).</param>
public readonly record struct ShareResult(int Copied, int AlreadyShared, int NotResident, int Unavailable, int Failed)
{
    /// <summary>How many of the keys the shared tier holds now: copied, or there already.</summary>
    public int OnSharedTier => Copied + AlreadyShared;

    /// <summary>Whether every key asked about is on the shared tier now.</summary>
    public bool Complete => NotResident == 0 && Unavailable == 0 && Failed == 0;

    /// <summary>Two results added, key by key (a caller that shares in steps).</summary>
    public ShareResult Add(ShareResult other) =>
        new(Copied + other.Copied, AlreadyShared + other.AlreadyShared, NotResident + other.NotResident,
            Unavailable + other.Unavailable, Failed + other.Failed);
}
