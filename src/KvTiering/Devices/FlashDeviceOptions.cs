using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>How a <see cref="FlashDevice"/> does its I/O.</summary>
public sealed class FlashDeviceOptions
{
    /// <summary>Compress each block with LZ4, keeping it raw when it does not shrink. Default off.</summary>
    public bool Compression { get; init; }

    /// <summary>
    /// Open the file with <c>O_DIRECT</c>, bypassing the kernel's page cache (default on). Where the file system
    /// refuses it (tmpfs, for one) the device falls back to buffered I/O and logs why; see
    /// <see cref="FlashDevice.DirectIO"/>.
    /// </summary>
    public bool DirectIO { get; init; } = true;

    /// <summary>
    /// Most I/Os in flight at once (default 8): callers on different slots proceed in parallel up to this many, each
    /// with its own aligned buffer of one slot; more wait for a buffer.
    /// </summary>
    public int QueueDepth { get; init; } = 8;

    /// <summary>
    /// Test seam: makes the O_DIRECT open fail with EINVAL, as a file system that refuses direct I/O does (tmpfs
    /// before Linux 6.6 did; this machine's kernel accepts it, so the fallback needs a stand-in).
    /// </summary>
    internal bool RefuseDirectIO { get; init; }

    /// <summary>Where the device logs, for instance a fallback to buffered I/O. Default none.</summary>
    public ILogger? Logger { get; init; }
}
