using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Security;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>One tier of a store: its profile, its capacity in blocks, its policy and the device behind it.</summary>
public sealed class TierOptions
{
    private byte[]? _authenticationKey;

    /// <summary>Creates tier options.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacityBlocks"/> is below one block.</exception>
    public TierOptions(TierProfile profile, int capacityBlocks)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (capacityBlocks < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBlocks), capacityBlocks,
                $"Tier '{profile.Name}' capacity {capacityBlocks} is below one block.");
        }

        Profile = profile;
        CapacityBlocks = capacityBlocks;
    }

    /// <summary>The tier's physical profile (bandwidth, latency, energy).</summary>
    public TierProfile Profile { get; }

    /// <summary>Capacity in blocks.</summary>
    public int CapacityBlocks { get; }

    /// <summary>
    /// The tier's eviction policy (default <see cref="EvictionPolicies.Clock"/>: LRU's hit rate within a point either
    /// way on the shared traces, above it at small capacities, and a top-tier hit that takes no lock and queues
    /// nothing; <see cref="EvictionPolicy.Lru"/> for exact recency order).
    /// </summary>
    public EvictionPolicy Policy { get; set; } = EvictionPolicies.Clock;

    /// <summary>
    /// A directory for a real flash tier: the tier's blocks live in files there and survive a restart. When null,
    /// the tier keeps its blocks in host memory.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Compress each flash block with LZ4 (kept raw when it does not shrink).</summary>
    public bool Compression { get; set; }

    /// <summary>
    /// Open the flash file with <c>O_DIRECT</c>, bypassing the page cache (default on); where the file system refuses
    /// it the tier falls back to buffered I/O and logs why (docs/tiers.md).
    /// </summary>
    public bool DirectIO { get; set; } = true;

    /// <summary>Most flash I/Os in flight at once, each with its own aligned buffer of one block (default 8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int QueueDepth
    {
        get => _queueDepth;
        set
        {
            if (value <= 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(QueueDepth), value, "A flash tier needs room for at least one I/O in flight.");
            }

            _queueDepth = value;
        }
    }

    private int _queueDepth = 8;

    /// <summary>
    /// What a flash tier does with a file it cannot use (a corrupt superblock, another format or geometry): move it
    /// aside and start empty (<see cref="CorruptFileAction.Recreate"/>, the default, with a warning log and the
    /// device's <see cref="FlashDeviceStatistics.CorruptFilesRecreated"/>) or refuse to open (<see cref="CorruptFileAction.Throw"/>).
    /// </summary>
    public CorruptFileAction FlashCorruptFile { get; set; } = CorruptFileAction.Recreate;

    /// <summary>
    /// How long a flash tier's open may spend verifying the payloads of the blocks it finds (default 5 s, zero or more,
    /// or <see cref="Timeout.InfiniteTimeSpan"/> to verify every block before the store opens); the blocks left over are
    /// verified in the background. See <see cref="FlashDeviceOptions.RecoveryVerificationBudget"/>.
    /// </summary>
    public TimeSpan FlashRecoveryVerificationBudget { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether writes into this tier are written behind, by a background worker, instead of inside the put that
    /// caused them (see <see cref="KvStoreOptions.WriteBehindBlocks"/>): demotions into it, and puts that land in it
    /// directly (the tiers above declined the block). A put waits for this tier only while the queue is full, and no
    /// block is dropped for want of room. A device that declares <see cref="Devices.IConcurrentWrites"/> gets up to its
    /// window of these writes in flight at once. While the write is in flight the block is served (and moved) from where
    /// its bytes wait: its own upper-tier slot, held out of use until the write lands, or a staging copy. Off by default
    /// (docs/architecture.md).
    /// </summary>
    /// <remarks>
    /// What <see cref="PutResult.Stored"/> promises changes with it: a put that lands in this tier returns once its
    /// bytes are staged in the store's memory, on a device that was taking writes, before the device has them. A device
    /// that says it cannot take writes now (<see cref="Devices.IWriteAvailability"/>: a remote server down or backed
    /// off) has nothing staged for it: the put passes the tier over (lands lower, or is <see cref="PutResult.Dropped"/>)
    /// and a victim bound for it leaves the store, counted (<see cref="TierStatistics.UnreachableWrites"/>). Until the
    /// write lands the block is as durable as a write-behind demotion: readable from the staged copy, but a failed write
    /// (the device went down after it was staged) drops it (counted in <see cref="TierStatistics.WriteFailures"/> and
    /// logged; a later read misses, never returns other bytes), and a crash of the process loses it. <see cref="TieredKvStore.Flush"/> and <see cref="TieredKvStore.Dispose"/> wait
    /// until every queued write has landed or failed.
    /// </remarks>
    public bool WriteBehind { get; set; }

    /// <summary>
    /// Builds the device for this tier from (slot count, slot bytes) — for servers that bring their own device
    /// memory. Takes precedence over <see cref="Directory"/>.
    /// </summary>
    public Func<int, int, IBlockDevice>? DeviceFactory { get; set; }

    /// <summary>
    /// A secret of at least 32 bytes that authenticates this tier's blocks (null, the default: checksums only). A
    /// device that supports it seals every block it stores with a MAC over key, parent, length and payload and treats
    /// a block whose MAC fails as a miss (see docs/security.md). Needed on a tier others can write: a shared
    /// Redis/Garnet server.
    /// </summary>
    /// <exception cref="ArgumentException">The secret is shorter than 32 bytes; the message gives its length.</exception>
    public byte[]? AuthenticationKey
    {
        get => _authenticationKey;
        set
        {
            if (value is not null)
            {
                BlockAuthenticator.ValidateKey(value, nameof(AuthenticationKey));
            }

            _authenticationKey = value;
        }
    }
}
