using KvTiering.Security;
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

    /// <summary>
    /// Test seam: the open's header scan does not ask the file system where the file's holes are, as on a file system
    /// that cannot say, and reads every slot's first page.
    /// </summary>
    internal bool IgnoreHoles { get; init; }

    /// <summary>
    /// Test seam: a free does not ask the file system to zero the slot's range, as on a file system that cannot
    /// (tmpfs), and overwrites the header with zeros instead.
    /// </summary>
    internal bool RefuseZeroRange { get; init; }

    /// <summary>Where the device logs, for instance a fallback to buffered I/O. Default none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// What to do with a file whose superblock is corrupt (bad magic or checksum, zeroed, cut short below the
    /// superblock) or that was created with another format version or geometry: move it aside and start empty
    /// (<see cref="CorruptFileAction.Recreate"/>, the default) or throw (<see cref="CorruptFileAction.Throw"/>).
    /// </summary>
    public CorruptFileAction CorruptFile { get; init; } = CorruptFileAction.Recreate;

    /// <summary>
    /// How long opening may spend verifying the payloads of the blocks it finds (default 5 s). Blocks are verified
    /// newest first, up to <see cref="QueueDepth"/> at once; a block whose payload does not match its header (a lost or
    /// torn write) is not recovered, and neither is one left unverified when the budget runs out, so a prefix match
    /// never counts a block that a read would reject. <see cref="Timeout.InfiniteTimeSpan"/> verifies every block.
    /// </summary>
    /// <remarks>docs/reliability.md gives the measured verification rate, from which a budget follows for a file size.</remarks>
    public TimeSpan RecoveryVerificationBudget { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A secret of at least 32 bytes that seals every block with a MAC over key, parent, length and payload (null, the
    /// default: checksums only). A block whose seal fails, or that has none, is a miss and is not recovered.
    /// </summary>
    public byte[]? AuthenticationKey { get; init; }

    /// <summary>The MAC that seals blocks when <see cref="AuthenticationKey"/> is set (default HMAC-SHA256).</summary>
    public BlockMacAlgorithm MacAlgorithm { get; init; } = BlockMacAlgorithm.HmacSha256;

    /// <summary>Throws when an option is out of range; the message names the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The queue depth is below one, the budget is negative, or the corrupt-file action is unknown.</exception>
    internal void Validate()
    {
        if (QueueDepth <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange("options", QueueDepth, $"Queue depth {QueueDepth} must be at least one.");
        }

        if (RecoveryVerificationBudget < TimeSpan.Zero && RecoveryVerificationBudget != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange("options", RecoveryVerificationBudget,
                $"Recovery verification budget {RecoveryVerificationBudget} must be zero or more, or infinite.");
        }

        if (CorruptFile is not (CorruptFileAction.Recreate or CorruptFileAction.Throw))
        {
            ThrowHelper.ThrowArgumentOutOfRange("options", CorruptFile, $"Unknown corrupt-file action {CorruptFile}.");
        }
    }
}
