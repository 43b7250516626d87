namespace KvTiering.Devices;

/// <summary>What a <see cref="FlashDevice"/> found wrong since it was opened, and how long opening spent verifying.</summary>
/// <param name="CorruptFilesRecreated">1 when the file was moved aside and recreated at open (corrupt superblock, or another format or geometry); else 0.</param>
/// <param name="LostWrites">Blocks found at open, or in the background verification after it, whose header verified but whose payload did not match it (lost or torn writes); not recovered.</param>
/// <param name="Unverified">Blocks found at open that the verification budget left unchecked: not recovered by the open; a store verifies them in the background afterwards (<paramref name="VerifiedAfterOpen"/>).</param>
/// <param name="AuthenticationFailures">Blocks whose seal was missing or did not verify, at open or on a read (forged, or written with another key).</param>
/// <param name="VerifiedAtOpen">Blocks whose payload was verified at open and recovered.</param>
/// <param name="VerificationTime">Time opening spent reading and verifying payloads.</param>
/// <param name="VerifiedAfterOpen">Unverified blocks whose payload the background verification then checked and recovered.</param>
/// <param name="PendingVerification">Unverified blocks the background verification has not reached yet (or will not: no store asked, or the device was disposed first).</param>
public readonly record struct FlashDeviceStatistics(
    int CorruptFilesRecreated,
    long LostWrites,
    long Unverified,
    long AuthenticationFailures,
    long VerifiedAtOpen,
    TimeSpan VerificationTime,
    long VerifiedAfterOpen,
    long PendingVerification)
{
    /// <summary>
    /// 1 when the open found the file shorter than its geometry gives (a copy or restore cut off, a file truncated
    /// behind the device's back) and extended it back: the blocks past the cut are lost; else 0. Logged as
    /// <c>FlashFileResized</c>.
    /// </summary>
    public int TruncatedFiles { get; init; }

    /// <summary>
    /// Slots whose first page the last recovery scan read. The scan skips the slots that lie in holes of the file (never
    /// written since it was created, or allocated and unwritten), where the file system reports holes; so in a mostly
    /// empty file this is about the number of slots ever written, and where holes are not reported it is every slot.
    /// 0 until a scan has run (a file the open created has nothing to scan).
    /// </summary>
    public long HeadersRead { get; init; }

    /// <summary>
    /// Slots freed on flash (by <see cref="FlashDevice.Free"/>, or dropped by the open or a failed write) by zeroing the
    /// range their record's I/O wrote without writing it (<c>fallocate</c> <c>FALLOC_FL_ZERO_RANGE</c>): the file keeps
    /// the space, and the next open's header scan finds a hole there and skips the slot.
    /// </summary>
    public long RangesZeroed { get; init; }

    /// <summary>
    /// Slots freed on flash by writing a page of zeros over their header, where the file system cannot zero a range
    /// (tmpfs, for one; logged once as <c>FlashZeroRangeUnsupported</c>) or the call failed: the next open reads them.
    /// </summary>
    public long HeadersZeroed { get; init; }
}
