using KvTiering.Blocks;
using KvTiering.Diagnostics;
using KvTiering.Eviction;
using KvTiering.Events;
using KvTiering.Placement;
using KvTiering.Devices;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.Store;

/// <summary>
/// A KV-block store over a chain of tiers (for example SRAM → HBM → DRAM → flash). New blocks enter the top tier
/// (or, with a placement router, the tier their workload labels route them to); each tier's policy picks victims,
/// which are demoted one tier down instead of dropped; a hit in a lower tier is promoted. The same store runs with payload bytes inside an inference server and metadata-only inside the
/// simulation harness, so the hit rates the harness reports are the store's own.
/// </summary>
/// <remarks>
/// Thread-safe: every change runs under one lock, and a read returns exactly the bytes put for its key or misses,
/// including while the block is being demoted or promoted. A hit in a memory top tier takes no lock at all: it reads
/// optimistically, validates against a sequence counter writers bump, and queues the access for the policies (see
/// <c>TieredKvStore.Optimistic.cs</c>). Memory-tier gets, puts and prefix matches allocate nothing.
/// </remarks>
public sealed partial class TieredKvStore : IDisposable
{
    /// <summary>The most tiers a chain may have.</summary>
    public const int MaxTiers = 8;

    private readonly Lock _lock = new();
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly StoreClock _clock;
    private readonly StoreCounters _counters;
    private readonly double _maxPinnedFraction;
    private readonly PromotionMode _promotion;
    private readonly byte[] _scratch;
    private readonly ILogger _logger;
    private readonly string _logName;
    private readonly bool _flushOnDispose;
    private readonly KvTieringMetrics? _metrics;
    private readonly RouterBinding? _routing;
    private readonly PlacementLedger? _ledger;
    private int[] _replayEntries = new int[64];
    private readonly KvEventFeed _events;
    private IBlockEventSink _eventSink;
    private readonly Tier? _remoteTier; // the first tier on a shared IRemoteBlockSource; never asked without payloads
    private volatile bool _disposed;

    /// <summary>Builds a store from <paramref name="options"/>, opening (and recovering) any flash tier.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent; the message names the value.</exception>
    public TieredKvStore(KvStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tiers.Count == 0)
        {
            throw new ArgumentException("A store needs at least one tier.", nameof(options));
        }

        if (options.Tiers.Count > MaxTiers)
        {
            throw new ArgumentException($"A store has at most {MaxTiers} tiers; {options.Tiers.Count} were given.", nameof(options));
        }

        if (!options.MetadataOnly && options.Layout is null)
        {
            throw new ArgumentException("A store that keeps payloads needs a KV layout (options.Layout).", nameof(options));
        }

        if (!(options.MaxPinnedFraction is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPinnedFraction,
                $"MaxPinnedFraction {options.MaxPinnedFraction} must lie in [0, 1].");
        }

        Layout = options.Layout;
        MetadataOnly = options.MetadataOnly;
        BlockBytes = options.MetadataOnly ? 0 : options.Layout!.BytesPerBlock;
        _clock = new StoreClock(options.TimeProvider ?? TimeProvider.System, options.Tiers.Count);
        _maxPinnedFraction = options.MaxPinnedFraction;
        _promotion = options.Promotion;
        _scratch = new byte[BlockBytes];
        _counters = new StoreCounters(options.MetadataOnly, options.Layout?.BytesPerBlock ?? 0);
        _logger = options.Logger ?? NullLogger.Instance;
        _logName = options.Name ?? "default";
        _flushOnDispose = options.FlushOnDispose;

        _events = new KvEventFeed(this);
        _tiers = new Tier[options.Tiers.Count];
        long entries = 1;
        try
        {
            for (int i = 0; i < _tiers.Length; i++)
            {
                TierOptions tierOptions = options.Tiers[i];
                IBlockDevice device = CreateDevice(tierOptions, options.MetadataOnly, BlockBytes, _logger);
                _tiers[i] = tierOptions.Policy.CreateTier(i, tierOptions.Profile, device);
                entries += device.SlotCount;
            }
        }
        catch
        {
            DisposeDevices();
            throw;
        }

        if (entries > int.MaxValue / 2)
        {
            DisposeDevices();
            throw new ArgumentException($"The tiers hold {entries} blocks in all; a store holds at most {int.MaxValue / 2}.", nameof(options));
        }

        _table = new BlockTable((int)entries);
        _eventSink = new FeedEventSink(_events, Array.ConvertAll(_tiers, static t => t.Profile.Kind));
        _optimistic = ChooseOptimisticReads();
        foreach (Tier tier in _tiers)
        {
            tier.Attach(new TierView(_clock, _table, tier));
        }

        _topReferenceBits = _tiers[0].ReferenceBits;
        _bitHits = _topReferenceBits is not null && _optimistic == OptimisticReads.MetadataOnly;
        _remoteTier = MetadataOnly ? null : Array.Find(_tiers, static t => t.Device is IRemoteBlockSource);

        try
        {
            _routing = BindRouter(options.Router);
            _ledger = options.Ledger;
            _ledger?.Attach(_lock, [.. _tiers.Select(t => t.Profile.Name)]);
        }
        catch
        {
            DisposeDevices();
            throw;
        }

        RecoverPersistentTiers();
        _writeBehind = CreateWriteBehind(options);
        _writeBehindWorker = StartWriteBehind();
        Log.StoreOpened(_logger, _logName, _tiers.Length, entries - 1, BlockBytes);
        if (options.MeterFactory is { } meterFactory)
        {
            _metrics = new KvTieringMetrics(this, meterFactory, options.Name);
        }
    }

    /// <summary>The KV layout (null in a metadata-only store built without one).</summary>
    public KvLayout? Layout { get; }

    /// <summary>Whether the store keeps no payload bytes.</summary>
    public bool MetadataOnly { get; }

    /// <summary>Largest payload of one block, bytes (0 when metadata-only).</summary>
    public int BlockBytes { get; }

    /// <summary>
    /// Where block arrivals and departures are reported (<see cref="Events"/>' feed unless replaced; null restores the
    /// null object). Set it before the store is shared between threads.
    /// </summary>
    internal IBlockEventSink EventSink
    {
        get => _eventSink;
        set => _eventSink = value ?? NullBlockEventSink.Instance;
    }

    /// <summary>Number of tiers.</summary>
    public int TierCount => _tiers.Length;

    /// <summary>Blocks resident across all tiers.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _table.Count;
            }
        }
    }

    /// <summary>The profile of tier <paramref name="tier"/>.</summary>
    public TierProfile TierProfileAt(int tier) => _tiers[tier].Profile;

    /// <summary>The device behind tier <paramref name="tier"/> (the meter reads a flash device's fault counts).</summary>
    internal IBlockDevice DeviceAt(int tier) => _tiers[tier].Device;

    /// <summary>The store's clock in seconds since it was built (see <see cref="StoreClock"/>).</summary>
    internal double NowSeconds => _clock.NowSeconds;

    /// <summary>A snapshot of every counter.</summary>
    public StoreStatistics GetStatistics()
    {
        lock (_lock)
        {
            DrainAccesses();
            _counters.Fold(_lockFreeCounts, _tiers[0]);
            return _counters.Snapshot(_tiers, _table.Count);
        }
    }

    /// <summary>Releases every device (native slabs, flash file handles). Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        CloseWriteBehind(); // the queued demotions land on their tier before it closes
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            BeginWrite(); // never ended: no lock-free read validates after this
            if (_flushOnDispose)
            {
                DrainAccesses();
                FlushLocked();
            }

            _disposed = true;
            WaitForOptimisticReaders();
            DisposeDevices();
        }
    }

    /// <summary>Whether <see cref="Dispose"/> has run (metrics stop reporting then).</summary>
    internal bool IsDisposed => _disposed;

    private void DisposeDevices()
    {
        foreach (Tier? tier in _tiers)
        {
            tier?.Device.Dispose();
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }
    }

    private static IBlockDevice CreateDevice(TierOptions options, bool metadataOnly, int blockBytes, ILogger logger)
    {
        if (options.DeviceFactory is { } factory)
        {
            IBlockDevice device = factory(options.CapacityBlocks, blockBytes);
            if (device.SlotCount != options.CapacityBlocks || (!metadataOnly && device.SlotBytes < blockBytes))
            {
                device.Dispose();
                throw new ArgumentException(
                    $"Tier '{options.Profile.Name}' device has {device.SlotCount} slots of {device.SlotBytes} bytes; " +
                    $"the tier needs {options.CapacityBlocks} slots of {blockBytes} bytes.", nameof(options));
            }

            return device;
        }

        if (metadataOnly)
        {
            return new MetadataDevice(options.CapacityBlocks);
        }

        if (options.Directory is { } directory)
        {
            return new FlashDevice(directory, options.CapacityBlocks, blockBytes, new FlashDeviceOptions
            {
                Compression = options.Compression,
                DirectIO = options.DirectIO,
                QueueDepth = options.QueueDepth,
                Logger = logger,
                CorruptFile = options.FlashCorruptFile,
                AuthenticationKey = options.AuthenticationKey,
            });
        }

        return new MemoryDevice(options.CapacityBlocks, blockBytes);
    }

    private void RecoverPersistentTiers()
    {
        for (int t = 0; t < _tiers.Length; t++)
        {
            if (_tiers[t].Device is not IPersistentBlockDevice persistent)
            {
                continue;
            }

            Tier tier = _tiers[t];
            IReadOnlyList<RecoveredBlock> blocks = persistent.Recover();
            var used = new bool[tier.Capacity];
            var kept = new List<RecoveredBlock>(blocks.Count);
            foreach (RecoveredBlock block in blocks)
            {
                if ((uint)block.Slot >= (uint)tier.Capacity || used[block.Slot] || _table.Find(block.Key) >= 0)
                {
                    continue;
                }

                used[block.Slot] = true;
                kept.Add(block);
                _table.Add(block.Key, block.Parent, -1, 0, long.MaxValue);
            }

            Log.Recovered(_logger, _logName, kept.Count, tier.Profile.Name, blocks.Count - kept.Count);
            tier.ClaimSlots(used);
            foreach (RecoveredBlock block in kept)
            {
                int e = _table.Find(block.Key);
                Bind(e, tier, block.Slot);
                tier.OnInsert(block.Slot);
                Note(PlacementAction.Recover, PlacementReason.Recovered, e, -1, t);
            }
        }
    }
}
