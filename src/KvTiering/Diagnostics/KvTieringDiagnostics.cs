namespace KvTiering.Diagnostics;

/// <summary>
/// Names of the store's meter, instruments and tags, for OpenTelemetry configuration
/// (<c>AddMeter(KvTieringDiagnostics.MeterName)</c>) and dashboards. No instrument carries a per-key tag.
/// </summary>
public static class KvTieringDiagnostics
{
    /// <summary>The meter every store publishes on: <c>KvTiering</c>.</summary>
    public const string MeterName = "KvTiering";

    /// <summary>Counter of block lookups, tagged by <see cref="TierTag"/> and <see cref="ResultTag"/>.</summary>
    public const string Lookups = "kvtiering.lookups";

    /// <summary>Counter of block puts (store-wide).</summary>
    public const string Puts = "kvtiering.puts";

    /// <summary>Counter of payload bytes moved, tagged by <see cref="TierTag"/> and <see cref="DirectionTag"/>.</summary>
    public const string Bytes = "kvtiering.bytes";

    /// <summary>Counter of blocks promoted out of a tier to a higher one, tagged by <see cref="TierTag"/>.</summary>
    public const string Promotions = "kvtiering.promotions";

    /// <summary>Counter of blocks demoted out of a tier to a lower one, tagged by <see cref="TierTag"/>.</summary>
    public const string Demotions = "kvtiering.demotions";

    /// <summary>Counter of blocks dropped out of the store from a tier, tagged by <see cref="TierTag"/>.</summary>
    public const string Evictions = "kvtiering.evictions";

    /// <summary>
    /// Counter of a tier's victims that left the store instead of moving down because its policy knew them dead
    /// (<see cref="Eviction.IKnowsDeadBlocks"/>: a closed session's private blocks, a branch its session left), tagged by
    /// <see cref="TierTag"/>; each is also counted in <see cref="Evictions"/>.
    /// </summary>
    public const string DeadDrops = "kvtiering.dead_drops";

    /// <summary>Counter of blocks a tier's policy declined to admit, tagged by <see cref="TierTag"/>.</summary>
    public const string Rejections = "kvtiering.rejections";

    /// <summary>
    /// Counter of reads whose bytes failed verification (damaged or forged; served as misses), tagged by
    /// <see cref="TierTag"/>; a device that does not say why its reads fail has every failed read counted here.
    /// </summary>
    public const string ChecksumFailures = "kvtiering.checksum_failures";

    /// <summary>
    /// Counter of reads of blocks the device no longer had (a flash slot emptied or overwritten, a remote key evicted,
    /// a remote server restarted empty; served as misses), tagged by <see cref="TierTag"/>. Not an integrity event.
    /// </summary>
    public const string LostBlocks = "kvtiering.lost_blocks";

    /// <summary>Counter of reads of resident blocks the device could not make (a remote server down or timing out; served as misses), tagged by <see cref="TierTag"/>.</summary>
    public const string UnreachableReads = "kvtiering.unreachable_reads";

    /// <summary>
    /// Counter of a shared tier's fetches of blocks the store did not hold that the tier could not be asked (down, timed
    /// out or backed off; served as misses; most such blocks were never stored), tagged by <see cref="TierTag"/>.
    /// </summary>
    public const string UnreachableFetches = "kvtiering.unreachable_fetches";

    /// <summary>
    /// Counter of puts, demotions and promotions passed over because the tier's device could not take a write then (a
    /// remote server down; the block went lower, was not stored, or stayed where it was), tagged by
    /// <see cref="TierTag"/>; counted in <see cref="Rejections"/> too.
    /// </summary>
    public const string UnreachableWrites = "kvtiering.unreachable_writes";

    /// <summary>
    /// Counter of lookups a tier served from the staged copy of a write-behind write still in flight (no device read),
    /// tagged by <see cref="TierTag"/>; also counted as hits of the tier in <see cref="Lookups"/>.
    /// </summary>
    public const string StagedHits = "kvtiering.staged_hits";

    /// <summary>
    /// Counter of puts of a block already resident in a tier (an access, nothing read), tagged by
    /// <see cref="TierTag"/>; also counted as hits of the tier in <see cref="Lookups"/>.
    /// </summary>
    public const string ResidentPuts = "kvtiering.resident_puts";

    /// <summary>Counter of writes that failed (the block was dropped), tagged by <see cref="TierTag"/>.</summary>
    public const string WriteFailures = "kvtiering.write_failures";

    /// <summary>
    /// Counter of faults a tier's device found in what it holds, tagged by <see cref="TierTag"/> and
    /// <see cref="FaultTag"/>, for every device that counts them (<see cref="Devices.IFaultCountingDevice"/>). Flash:
    /// <c>corrupt_file</c>, <c>truncated_file</c>, <c>lost_write</c>, <c>unverified</c>, <c>authentication</c>; Redis: <c>vanished</c>,
    /// <c>checksum</c>, <c>authentication</c>, <c>connection</c>, <c>dropped_write</c> (each device's
    /// <see cref="Devices.IFaultCountingDevice.GetFaultCounts"/> says what its kinds mean).
    /// </summary>
    public const string TierFaults = "kvtiering.tier.faults";

    /// <summary>Counter: demotions dropped for want of room in a tier's write-behind queue; 0 since a full queue writes on the put's path (<see cref="WriteBehindOverflows"/>).</summary>
    public const string WriteBehindDrops = "kvtiering.write_behind.drops";

    /// <summary>Counter: demotions (and puts landing in the tier directly) that found a tier's write-behind queue full and were written on the put's path.</summary>
    public const string WriteBehindOverflows = "kvtiering.write_behind.overflows";

    /// <summary>Up-down counter of blocks resident in a tier, tagged by <see cref="TierTag"/>.</summary>
    public const string TierUsage = "kvtiering.tier.usage";

    /// <summary>Up-down counter of a tier's capacity in blocks, tagged by <see cref="TierTag"/>.</summary>
    public const string TierLimit = "kvtiering.tier.limit";

    /// <summary>
    /// Up-down counter of a tier's slots set aside after a failed write (a full disk), tagged by <see cref="TierTag"/>:
    /// the tier serves from <see cref="TierLimit"/> less these until writes succeed again.
    /// </summary>
    public const string TierSetAside = "kvtiering.tier.set_aside";

    /// <summary>Counter of modeled joules spent moving bytes in and out of a tier, tagged by <see cref="TierTag"/>.</summary>
    public const string ModeledEnergy = "kvtiering.modeled.energy";

    /// <summary>Counter of modeled seconds spent moving bytes in and out of a tier, tagged by <see cref="TierTag"/>.</summary>
    public const string ModeledTime = "kvtiering.modeled.time";

    /// <summary>
    /// Tag naming a tier by its profile name (<c>dram</c>, <c>flash</c>, …; suffixed <c>.N</c> with its position
    /// when two tiers of one store share a profile name), or <c>none</c> for a lookup that missed every tier.
    /// </summary>
    public const string TierTag = "kvtiering.tier";

    /// <summary>Tag of a lookup's outcome: <c>hit</c> or <c>miss</c>.</summary>
    public const string ResultTag = "kvtiering.result";

    /// <summary>Tag of a device fault's kind (see <see cref="TierFaults"/>).</summary>
    public const string FaultTag = "kvtiering.fault";

    /// <summary>Tag of a byte movement's direction: <c>read</c> (out of the tier) or <c>write</c> (into it).</summary>
    public const string DirectionTag = "kvtiering.direction";

    /// <summary>Meter-level tag naming the store (<see cref="Store.KvStoreOptions.Name"/>), present only when it has a name.</summary>
    public const string StoreTag = "kvtiering.store";
}
