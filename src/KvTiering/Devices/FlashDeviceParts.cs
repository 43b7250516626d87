using KvTiering.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.Devices;

/// <summary>
/// Builds a <see cref="FlashDevice"/>'s collaborators from its arguments and holds them for the device's life: checks
/// the geometry and options, opens (or creates, or moves aside and recreates) the file, and wires the block I/O,
/// recovery and background verification over it; <see cref="Close"/> releases them in the order they depend on each
/// other. The device is the public face over what it holds here (docs/architecture.md, "The flash device").
/// </summary>
internal sealed class FlashDeviceParts
{
    private readonly BlockAuthenticator? _authenticator;

    /// <remarks>The arguments are <see cref="FlashDevice(string, int, int, FlashDeviceOptions)"/>'s, checked here in its documented order.</remarks>
    public FlashDeviceParts(string directory, int slotCount, int slotBytes, FlashDeviceOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        Geometry = FlashGeometry.Create(slotCount, slotBytes);
        options.Validate();
        _authenticator = options.AuthenticationKey is { } secret ? new BlockAuthenticator(secret, options.MacAlgorithm) : null;
        ILogger logger = options.Logger ?? NullLogger.Instance;
        var encoder = new FlashBlockEncoder(options.Compression, _authenticator);
        var verifier = new FlashBlockVerifier(slotBytes, _authenticator, Counters);
        Slots = new FlashSlotTable(slotCount, slotBytes);
        Directory = Path.GetFullPath(directory);
        FilePath = Path.Combine(Directory, FlashDevice.FileName);
        Pool = new AlignedBufferPool(options.QueueDepth, (int)Geometry.Stride);
        try
        {
            File = FlashFileOpener.Open(Directory, FilePath, Geometry, options, logger, Pool);
        }
        catch
        {
            Pool.Dispose();
            _authenticator?.Dispose();
            throw;
        }

        Release = new FlashSlotRelease(File, Geometry, Counters, logger, zeroRanges: !options.RefuseZeroRange);
        Deferred = new FlashDeferredVerification(File, Slots, Pool, verifier, Counters, Foreground, Release, logger, options.QueueDepth);
        var headers = new FlashHeaderScan(Geometry, File, Pool, verifier, options.QueueDepth, askHoles: !options.IgnoreHoles);
        Recovery = new FlashRecovery(Geometry, File, headers, Slots, Pool, verifier, encoder, Counters, Deferred,
            Release, logger, options.RecoveryVerificationBudget, options.QueueDepth);
        Io = new FlashSlotIo(Slots, File, Pool, encoder, verifier, Recovery, Foreground, Release);
    }

    public FlashGeometry Geometry { get; }

    public FlashSlotTable Slots { get; }

    public FlashFile File { get; }

    public AlignedBufferPool Pool { get; }

    public FlashSlotIo Io { get; }

    public FlashSlotRelease Release { get; }

    public FlashCounters Counters { get; } = new();

    public FlashForegroundReads Foreground { get; } = new();

    public FlashRecovery Recovery { get; }

    public FlashDeferredVerification Deferred { get; }

    /// <summary>The full path of the directory that holds the file.</summary>
    public string Directory { get; }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>Whether blocks are sealed with a MAC.</summary>
    public bool Authenticated => _authenticator is not null;

    /// <summary>Releases everything, once (the device's <see cref="FlashDevice.Dispose"/> guarantees once).</summary>
    public void Close()
    {
        Deferred.Dispose(); // the background verification reads the file and rents buffers: it ends first
        File.Dispose();
        Pool.Dispose();
        _authenticator?.Dispose();
    }
}
