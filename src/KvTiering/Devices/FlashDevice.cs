using KvTiering.Blocks;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// A flash tier: fixed-size slots in one preallocated file (<c>blocks.kvt</c>) in a directory the caller names, read
/// and written with direct I/O (<c>O_DIRECT</c>) where the file system allows it. Every block carries a checksummed
/// header with its key, parent, lengths and write generation, and every read verifies the key and the payload's
/// checksum, so a torn write or a flipped bit is a miss, never wrong bytes. Blocks survive a restart:
/// <see cref="Recover"/> rebuilds the index from the slots' headers. Optionally, each block is LZ4-compressed.
/// </summary>
/// <remarks>
/// A block is one aligned I/O: header and payload, from a page-aligned native buffer of a fixed pool whose size is the
/// queue depth (<see cref="FlashDeviceOptions.QueueDepth"/>). The header checksums the payload, so a write torn
/// anywhere leaves a slot that reads as a miss. The fields a read checks (key, stored length, payload checksum) are
/// kept in memory from the write, or from the verified header at recovery, 28 bytes a slot. Thread-safe for calls on
/// different slots (the store's contract: several reads and writes in flight at once, never two calls on one slot
/// while one of them writes or frees it); nothing is shared between calls but the buffer pool.
/// Direct I/O follows what engines that take flash seriously do (Dynamo KVBM's G3 tier through GDS/O_DIRECT, Mooncake
/// Store's SSD offload): a flash-resident block is not cached a second time in the kernel's page cache.
/// The device is the public face of collaborators with one job each, built by <see cref="FlashDeviceParts"/> and
/// checked into by <see cref="FlashSlotGuard"/> (an open device, a slot in range): <see cref="FlashFileOpener"/> and
/// <see cref="FlashFile"/> (the file), <see cref="FlashSlotTable"/> (what each slot holds),
/// <see cref="FlashBlockEncoder"/> and <see cref="FlashBlockVerifier"/> (a block's bytes out and back),
/// <see cref="FlashRecovery"/> and <see cref="FlashDeferredVerification"/> (restart), <see cref="FlashCounters"/>.
/// </remarks>
public sealed class FlashDevice : IPersistentBlockDevice, IAsyncBlockDevice, IDeferredRecovery, IDroppedAtRecovery, IFaultCountingDevice,
    IReadFailureReporting
{
    /// <summary>The name of the file that holds a tier's slots.</summary>
    public const string FileName = "blocks.kvt";

    private readonly FlashDeviceParts _parts;
    private readonly FlashGeometry _geometry;
    private readonly FlashFile _file;
    private readonly FlashSlotIo _io; // the block calls', held here: no load through _parts
    private readonly FlashSlotGuard _guard;

    /// <summary>
    /// Opens the flash tier in <paramref name="directory"/> with direct I/O and a queue depth of 8, creating the
    /// directory (when its parent exists) and the file when they are missing. An existing file that is corrupt or was
    /// created with another geometry is moved aside and the tier starts empty (<see cref="CorruptFileAction.Recreate"/>).
    /// </summary>
    /// <param name="directory">The directory that holds the tier's file.</param>
    /// <param name="slotCount">Number of slots; the file's size is fixed by it.</param>
    /// <param name="slotBytes">Largest payload one slot holds, bytes.</param>
    /// <param name="compression">Compress each block with LZ4, keeping it raw when it does not shrink.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotCount"/> or <paramref name="slotBytes"/> is below one.</exception>
    /// <exception cref="IOException">The directory or file cannot be created or opened; the message names the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; the message names the path.</exception>
    public FlashDevice(string directory, int slotCount, int slotBytes, bool compression = false)
        : this(directory, slotCount, slotBytes, new FlashDeviceOptions { Compression = compression })
    {
    }

    /// <summary>Opens the flash tier in <paramref name="directory"/> with the given I/O options.</summary>
    /// <param name="directory">The directory that holds the tier's file.</param>
    /// <param name="slotCount">Number of slots; the file's size is fixed by it.</param>
    /// <param name="slotBytes">Largest payload one slot holds, bytes.</param>
    /// <param name="options">Compression, direct I/O, queue depth, logger, what to do with a corrupt file, the open's
    /// verification budget and the authentication key.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size or queue depth is below one, or the budget is negative.</exception>
    /// <exception cref="ArgumentException">The authentication key is shorter than 32 bytes.</exception>
    /// <exception cref="IOException">The directory or file cannot be created or opened; the message names the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; the message names the path.</exception>
    /// <exception cref="InvalidDataException">
    /// The existing file is corrupt or was created with another geometry, and <see cref="FlashDeviceOptions.CorruptFile"/>
    /// is <see cref="CorruptFileAction.Throw"/>.
    /// </exception>
    public FlashDevice(string directory, int slotCount, int slotBytes, FlashDeviceOptions options)
    {
        _parts = new FlashDeviceParts(directory, slotCount, slotBytes, options);
        _geometry = _parts.Geometry;
        _file = _parts.File;
        _io = _parts.Io;
        _guard = new FlashSlotGuard(this, slotCount, _parts.Recovery);
        Compression = options.Compression;
        QueueDepth = options.QueueDepth;
    }

    /// <inheritdoc />
    public int SlotCount => _geometry.SlotCount;

    /// <inheritdoc />
    public int SlotBytes => _geometry.SlotBytes;

    /// <inheritdoc />
    public bool StoresPayload => true;

    /// <summary>The directory that holds the tier's file.</summary>
    public string Directory => _parts.Directory;

    /// <summary>The full path of the tier's file.</summary>
    public string FilePath => _parts.FilePath;

    /// <summary>The file's fixed size in bytes: superblock and every slot.</summary>
    public long FileLength => _geometry.FileLength;

    /// <summary>Whether blocks are LZ4-compressed when they shrink.</summary>
    public bool Compression { get; }

    /// <summary>Whether the file is open with <c>O_DIRECT</c> (false after a fallback to buffered I/O).</summary>
    public bool DirectIO => _file.DirectIO;

    /// <summary>Why the device uses buffered I/O when direct I/O was asked for; null otherwise.</summary>
    public string? BufferedReason => _file.BufferedReason;

    /// <summary>Most I/Os in flight at once.</summary>
    public int QueueDepth { get; }

    /// <summary>Whether blocks are sealed with a MAC (<see cref="FlashDeviceOptions.AuthenticationKey"/> set).</summary>
    public bool Authenticated => _parts.Authenticated;

    /// <summary>Test seam: <see cref="FlashFile.FailWrite"/>.</summary>
    internal Func<long, int, bool>? FailWrite
    {
        get => _file.FailWrite;
        set => _file.FailWrite = value;
    }

    /// <summary>The file descriptor, for tests that check its flags in <c>/proc/self/fdinfo</c>.</summary>
    internal SafeFileHandle Handle => _file.Handle;

    /// <summary>The reads the background verification steps back for, for tests that stand in a reader.</summary>
    internal FlashForegroundReads ForegroundReads => _parts.Foreground;

    /// <summary>The file offset of <paramref name="slot"/>'s header, which starts the slot.</summary>
    internal long HeaderOffset(int slot) => _geometry.SlotOffset(slot);

    /// <summary>The file offset of <paramref name="slot"/>'s payload.</summary>
    internal long PayloadOffset(int slot) => _geometry.SlotOffset(slot) + FlashGeometry.PayloadInSlot;

    /// <inheritdoc />
    /// <remarks>
    /// Reads every slot's first page, up to the queue depth at once, keeping each slot whose header verifies (and, on
    /// an authenticated tier, whose header seal verifies); of several slots holding one key, the highest generation
    /// wins and the others are invalidated, so an older copy cannot resurface once the newest is freed. Then the
    /// payloads of the blocks kept are read and verified, newest first, within
    /// <see cref="FlashDeviceOptions.RecoveryVerificationBudget"/>: only blocks that passed are returned, so an index
    /// built from them never reports a block a read would reject. The blocks the budget left unchecked are verified
    /// afterwards in the background when a store asks (<see cref="IDeferredRecovery"/>), each indexed as it passes.
    /// Write generations continue from the highest one found.
    /// </remarks>
    public IReadOnlyList<RecoveredBlock> Recover()
    {
        _guard.ThrowIfClosed();
        return _parts.Recovery.Recover();
    }

    /// <inheritdoc />
    IReadOnlyList<RecoveredBlock> IDeferredRecovery.Deferred
    {
        get
        {
            _parts.Recovery.ScanOnce();
            return _parts.Deferred.Blocks;
        }
    }

    /// <inheritdoc />
    IReadOnlyList<BlockKey> IDroppedAtRecovery.DroppedAtRecovery
    {
        get
        {
            _parts.Recovery.ScanOnce();
            return _parts.Recovery.Damaged;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Newest first, as at open, with at most half the queue depth of I/Os in flight (at least one), so foreground
    /// reads keep the other half of the buffer pool. A block that fails is counted (lost write or authentication) and
    /// its header zeroed, as at open.
    /// </remarks>
    void IDeferredRecovery.VerifyDeferred(Action<RecoveredBlock, bool, CancellationToken> onVerified)
    {
        ArgumentNullException.ThrowIfNull(onVerified);
        _parts.Recovery.ScanOnce();
        _parts.Deferred.Start(onVerified);
    }

    /// <summary>What the device found wrong since it was opened (see <see cref="FlashDeviceStatistics"/>).</summary>
    public FlashDeviceStatistics GetStatistics() => _parts.Counters.ToStatistics(_file.Recreated ? 1 : 0, _file.CutShort ? 1 : 0);

    /// <inheritdoc />
    /// <remarks>
    /// <c>corrupt_file</c> (moved aside and recreated at open), <c>truncated_file</c> (found cut short at open and
    /// extended back: the blocks past the cut are lost), <c>lost_write</c> (a header over a payload that is not
    /// its own, not recovered), <c>unverified</c> (left out of recovery by its time budget) and <c>authentication</c>
    /// (a missing or failed seal, at open or on a read).
    /// </remarks>
    public IReadOnlyList<KeyValuePair<string, long>> GetFaultCounts() => FlashCounters.FaultCounts(GetStatistics());

    /// <summary>
    /// Stops the background verification (waiting for the block in hand) and closes the file. Later calls throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (_guard.TryClose())
        {
            _parts.Close();
        }
    }

    /// <inheritdoc />
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _guard.Ensure(slot);
        _io.Write(slot, key, parent, payload);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Checks the key against the slot's record, reads the slot in one aligned I/O, and returns the payload only when
    /// its XxHash3 matches the checksum recorded for the slot and, on an authenticated tier, the seal read with it covers
    /// this key, this length and these bytes; otherwise the destination is cleared and the read misses.
    /// </remarks>
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        _guard.Ensure(slot);
        return _io.Read(slot, key, destination);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same checks as <see cref="Read"/>, with the aligned I/O awaited through <see cref="RandomAccess.ReadAsync(Microsoft.Win32.SafeHandles.SafeFileHandle, Memory{byte}, long, CancellationToken)"/>
    /// on the O_DIRECT handle, in one of the pool's native buffers (waiting for one is awaited too, so the queue depth
    /// still bounds the I/Os in flight). A cancelled read changes nothing.
    /// </remarks>
    public ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken) =>
        _guard.Unusable(slot) is { } failure
            ? ValueTask.FromException<int>(failure)
            : _io.ReadAsync(slot, key, destination, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The block is laid out as <see cref="Write"/> lays it out, then written in one awaited aligned I/O. A write
    /// cancelled or failed mid-way leaves the slot invalid (its header zeroed, best effort), as a failed write does.
    /// </remarks>
    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _guard.Unusable(slot) is { } failure
            ? ValueTask.FromException(failure)
            : _io.WriteAsync(slot, key, parent, payload, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="ReadFailure.Lost"/>: the slot no longer holds the block (freed or rewritten; a header of zeros, as a
    /// punched hole or a zeroed page reads; a trusted header of another key; a file cut short).
    /// <see cref="ReadFailure.Corrupt"/>: a header that does not verify, or bytes that do not match their checksum or
    /// seal (a flipped byte, an overwrite, a forgery).
    /// </remarks>
    public ReadFailure LastReadFailure(int slot)
    {
        _guard.Ensure(slot);
        return _parts.Slots.LastReadFailure(slot);
    }

    /// <inheritdoc />
    public int PayloadLength(int slot)
    {
        _guard.Ensure(slot);
        return _parts.Slots.PayloadLength(slot);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Zeroes the range the slot's record was written in without writing it (<c>fallocate</c>
    /// <c>FALLOC_FL_ZERO_RANGE</c>, the space kept), so the next open's header scan finds a hole and skips the slot;
    /// where the file system cannot (tmpfs), overwrites the slot's first page with zeros, which the scan still reads
    /// (<see cref="FlashDeviceStatistics.RangesZeroed"/>, <see cref="FlashDeviceStatistics.HeadersZeroed"/>). Returns once
    /// the kernel has the zeros, so the caller may hand the slot out again. An I/O failure is swallowed (the store
    /// cannot act on it): the slot reads as free here, and until its next write a restart may recover the block, with
    /// its own verified bytes.
    /// </remarks>
    public void Free(int slot)
    {
        _guard.Ensure(slot);
        _io.Free(slot);
    }
}
