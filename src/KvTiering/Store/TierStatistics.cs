namespace KvTiering.Store;

/// <summary>A snapshot of one tier's counters.</summary>
public sealed record TierStatistics
{
    /// <summary>Tier position (0 = top).</summary>
    public required int Tier { get; init; }

    /// <summary>The tier profile's name.</summary>
    public required string Name { get; init; }

    /// <summary>The tier's eviction policy.</summary>
    public required string Policy { get; init; }

    /// <summary>Capacity in blocks.</summary>
    public required int CapacityBlocks { get; init; }

    /// <summary>Blocks resident now.</summary>
    public required int ResidentBlocks { get; init; }

    /// <summary>Blocks pinned now.</summary>
    public required int PinnedBlocks { get; init; }

    /// <summary>Lookups (gets and re-offered puts) that found their block in this tier.</summary>
    public required long Hits { get; init; }

    /// <summary>Payload bytes read out of this tier.</summary>
    public required long BytesRead { get; init; }

    /// <summary>Payload bytes written into this tier.</summary>
    public required long BytesWritten { get; init; }

    /// <summary>New blocks admitted straight into this tier.</summary>
    public required long Inserts { get; init; }

    /// <summary>Blocks promoted out of this tier to a higher one.</summary>
    public required long Promotions { get; init; }

    /// <summary>Blocks demoted out of this tier to a lower one.</summary>
    public required long Demotions { get; init; }

    /// <summary>Blocks dropped out of this tier (and out of the store): the last tier's victims, or demotions the lower tier declined.</summary>
    public required long Evictions { get; init; }

    /// <summary>
    /// Blocks this tier declined to admit: its policy declined them, or its device could not take writes then
    /// (<see cref="UnreachableWrites"/>, counted here too).
    /// </summary>
    public required long Rejections { get; init; }

    /// <summary>
    /// Reads whose bytes failed verification (checksum, seal or header: damaged or forged), each a miss and the block
    /// dropped; an integrity event. A device that does not say why its reads fail
    /// (<see cref="Devices.IReadFailureReporting"/>) has every failed read counted here.
    /// </summary>
    public required long ChecksumFailures { get; init; }

    /// <summary>
    /// Reads of blocks the device no longer had (a flash slot emptied or overwritten, or its file cut short; a remote
    /// key evicted or expired, a remote server restarted empty), each a miss and the block dropped. Not an integrity
    /// event: a cache losing contents.
    /// </summary>
    public long LostBlocks { get; init; }

    /// <summary>
    /// Reads of resident blocks the device could not make (a remote server down, timing out or backed off), each a
    /// miss; the block is kept for its next read. A shared tier's fetches are counted apart
    /// (<see cref="UnreachableFetches"/>).
    /// </summary>
    public long UnreachableReads { get; init; }

    /// <summary>
    /// A shared tier's fetches of blocks the store did not hold (<see cref="Devices.IRemoteBlockSource"/>: a local
    /// miss asking whether another store put the block) that the tier could not be asked (down, timed out or backed
    /// off), each a miss. Most such blocks were never stored anywhere: while the tier is down, a workload's every new
    /// block counts here, so this rises with the miss rate, not with data lost. A fetch whose value failed verification
    /// counts as a <see cref="ChecksumFailures"/> instead (an integrity event).
    /// </summary>
    public long UnreachableFetches { get; init; }

    /// <summary>
    /// Puts, demotions and promotions passed over because this tier's device said it could not take a write then
    /// (<see cref="Devices.IWriteAvailability"/>: a remote server down or backed off); counted in
    /// <see cref="Rejections"/> too. Each went to a lower tier, or was not stored (<see cref="PutResult.Dropped"/>) or,
    /// a victim, left the store (counted in the source tier's <see cref="Evictions"/>) or, a promotion, stayed where it
    /// was; none was written, so none failed.
    /// </summary>
    public long UnreachableWrites { get; init; }

    /// <summary>
    /// Of <see cref="Hits"/>, lookups served from the staged copy of a write-behind write still in flight
    /// (<see cref="TierOptions.WriteBehind"/>: a put or a demotion into this tier), which read nothing from the device.
    /// </summary>
    public long StagedHits { get; init; }

    /// <summary>
    /// Of <see cref="Hits"/>, puts of a block already resident in this tier (<see cref="PutResult.AlreadyPresent"/>):
    /// an access its policy hears of, with nothing read from the device.
    /// </summary>
    public long ResidentPuts { get; init; }

    /// <summary>Writes that failed (disk full, I/O error); each block was dropped.</summary>
    public required long WriteFailures { get; init; }

    /// <summary>Lower-tier hits the placement router reported as misses because recomputing beats loading; each block left this tier.</summary>
    public long Recomputes { get; init; }

    /// <summary>
    /// Demotions into this tier dropped because its write-behind queue had no room: always 0 since a full queue writes
    /// the demotion on the put's path instead (<see cref="WriteBehindOverflows"/>); kept for readers of the statistic
    /// and of its meter.
    /// </summary>
    public long WriteBehindDrops { get; init; }

    /// <summary>
    /// Demotions into this write-behind tier, and puts that landed in it directly, that found its queue full
    /// (<see cref="KvStoreOptions.WriteBehindBlocks"/>) and were written on the put's path, as into a tier without
    /// write-behind: the put waited for this tier's write, and no block was dropped for want of room.
    /// </summary>
    public long WriteBehindOverflows { get; init; }

    /// <summary>
    /// Victims the tier's policy knew dead (<see cref="Eviction.IKnowsDeadBlocks"/>) that left the store instead of
    /// moving down (<see cref="KvStoreOptions.DropDeadVictims"/>); counted in <see cref="Evictions"/> too.
    /// </summary>
    public long DeadDrops { get; init; }

    /// <summary>
    /// Slots out of use after a failed write (a full disk fails every write into a slot the file never wrote): the tier
    /// serves from the rest, evicting as a full tier does, and probes them again on its own clock (one slot after a
    /// second, the wait doubling up to 30 s while probes fail; twice as many slots per round whose writes landed).
    /// Holding no block, they count in neither <see cref="ResidentBlocks"/> nor free room.
    /// </summary>
    public long SetAsideSlots { get; init; }

    /// <summary>Modeled seconds spent moving bytes in and out of this tier, from its profile.</summary>
    public required double ModeledSeconds { get; init; }

    /// <summary>Modeled joules spent moving bytes in and out of this tier, from its profile.</summary>
    public required double ModeledJoules { get; init; }
}
