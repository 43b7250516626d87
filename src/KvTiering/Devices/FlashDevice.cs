using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using K4os.Compression.LZ4;
using KvTiering.Blocks;
using KvTiering.Security;
using Microsoft.Extensions.Logging;
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
/// </remarks>
public sealed unsafe partial class FlashDevice : IPersistentBlockDevice, IAsyncBlockDevice
{
    /// <summary>The name of the file that holds a tier's slots.</summary>
    public const string FileName = "blocks.kvt";

    private const byte SlotEmpty = 0;   // header on flash is known not to verify
    private const byte SlotValid = 1;   // header on flash describes the block in _lengths
    private const byte SlotStale = 2;   // freed, but invalidating its header failed: it may still verify

    private readonly FlashGeometry _geometry;
    private readonly bool _compression;
    private readonly int[] _lengths;
    private readonly byte[] _states;

    // What each valid slot holds, as written or as its verified header said at recovery; a stored length below the
    // raw length means LZ4.
    private readonly BlockKey[] _keys;
    private readonly ulong[] _checksums;
    private readonly int[] _storedLengths;
    private readonly AlignedBufferPool _pool;
    private readonly byte* _zeroPage;   // one aligned page of zeros: a free slot's header
    private readonly Lock _scanLock = new();
    private readonly SafeFileHandle _handle;
    private readonly ILogger _logger;
    private readonly BlockAuthenticator? _authenticator;
    private readonly CorruptFileAction _corruptFile;
    private readonly TimeSpan _verificationBudget;
    private readonly FlashBlockEncoder _encoder;
    private volatile bool _scanned;
    private List<RecoveredBlock>? _recovered;
    private int _disposed;

    /// <inheritdoc />
    public int SlotCount => _geometry.SlotCount;

    /// <inheritdoc />
    public int SlotBytes => _geometry.SlotBytes;

    /// <inheritdoc />
    public bool StoresPayload => true;

    /// <summary>The directory that holds the tier's file.</summary>
    public string Directory { get; }

    /// <summary>The full path of the tier's file.</summary>
    public string FilePath { get; }

    /// <summary>The file's fixed size in bytes: superblock and every slot.</summary>
    public long FileLength => _geometry.FileLength;

    /// <summary>Whether blocks are LZ4-compressed when they shrink.</summary>
    public bool Compression => _compression;

    /// <summary>Whether the file is open with <c>O_DIRECT</c> (false after a fallback to buffered I/O).</summary>
    public bool DirectIO { get; private set; }

    /// <summary>Why the device uses buffered I/O when direct I/O was asked for; null otherwise.</summary>
    public string? BufferedReason { get; private set; }

    /// <summary>Most I/Os in flight at once.</summary>
    public int QueueDepth { get; }

    /// <summary>Whether blocks are sealed with a MAC (<see cref="FlashDeviceOptions.AuthenticationKey"/> set).</summary>
    public bool Authenticated => _authenticator is not null;

    /// <summary>
    /// Test seam: called with (file offset, length) before every write; returning true makes the write throw an
    /// <see cref="IOException"/>, as a full disk would.
    /// </summary>
    internal Func<long, int, bool>? FailWrite { get; set; }

    /// <summary>The file descriptor, for tests that check its flags in <c>/proc/self/fdinfo</c>.</summary>
    internal SafeFileHandle Handle => _handle;

    /// <summary>The file offset of <paramref name="slot"/>'s header, which starts the slot.</summary>
    internal long HeaderOffset(int slot) => _geometry.SlotOffset(slot);

    /// <summary>The file offset of <paramref name="slot"/>'s payload.</summary>
    internal long PayloadOffset(int slot) => _geometry.SlotOffset(slot) + FlashGeometry.PayloadInSlot;

    /// <inheritdoc />
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        EnsureWritable(slot, key, payload.Length);

        byte* buffer = _pool.Rent();
        try
        {
            var io = new Span<byte>(buffer, _pool.Bytes);
            int ioBytes = Encode(io, slot, key, parent, payload, out int storedLength, out ulong checksum);
            try
            {
                // No need to zero an old header first: the new header and payload land in one I/O, and if it tears,
                // the header that is on flash no longer matches the bytes beside it, so the slot reads as a miss.
                WriteAt(io[..ioBytes], _geometry.SlotOffset(slot));
            }
            catch (IOException)
            {
                // Part of the new block, or the old one, may be on flash; zeroing it is best effort, and the caller
                // sees the first error.
                InvalidateHeader(slot);
                throw;
            }

            Remember(slot, key, payload.Length, storedLength, checksum);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <summary>Lays a block out in an aligned I/O buffer (<see cref="FlashBlockEncoder"/>); returns the I/O's length.</summary>
    private int Encode(Span<byte> io, int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload,
        out int storedLength, out ulong checksum)
    {
        int ioBytes = _encoder.Encode(io, slot, key, parent, payload, out storedLength, out checksum);
        _recovered = null;
        return ioBytes;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Checks the key against the slot's record, reads the slot in one aligned I/O, and returns the payload only when
    /// its XxHash3 matches the checksum recorded for the slot and, on an authenticated tier, the seal read with it covers
    /// this key, this length and these bytes; otherwise the destination is cleared and the read misses.
    /// </remarks>
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        int length = BeginRead(slot, key, destination.Length);
        if (length < 0)
        {
            return -1;
        }

        int storedLength = _storedLengths[slot];
        ulong checksum = _checksums[slot];
        byte* buffer = _pool.Rent();
        try
        {
            var io = new Span<byte>(buffer, FlashGeometry.IoBytes(storedLength));
            int read = ReadAt(io, _geometry.SlotOffset(slot));
            return Verify(io, read, slot, key, length, storedLength, checksum, destination[..length]);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <summary>The checks before a read: the block's payload length, or -1 when the slot holds no valid block of <paramref name="key"/>.</summary>
    private int BeginRead(int slot, in BlockKey key, int destinationLength)
    {
        EnsureUsable(slot);
        int length = _lengths[slot];
        if (_states[slot] != SlotValid || !_keys[slot].Equals(key))
        {
            return -1;
        }

        if (destinationLength < length)
        {
            ThrowHelper.ThrowDestinationTooSmall("destination", destinationLength, length);
        }

        return length;
    }

    /// <summary>
    /// The checks after a read of <paramref name="read"/> bytes into <paramref name="io"/>: the payload into
    /// <paramref name="output"/> and its length, or -1 with <paramref name="output"/> cleared. Uncompressed, the
    /// checksum and the copy out are one pass; bytes that fail it are cleared, so the caller never keeps them.
    /// </summary>
    private int Verify(Span<byte> io, int read, int slot, in BlockKey key, int length, int storedLength, ulong checksum, Span<byte> output)
    {
        ReadOnlySpan<byte> stored = io.Slice(FlashGeometry.PayloadInSlot, storedLength);
        if (read != io.Length
            || (storedLength == length
                ? ChecksummedCopy.Copy(stored, output) != checksum
                : XxHash3.HashToUInt64(stored) != checksum)
            || (_authenticator is not null && !IsAuthentic(io, slot, key, length, stored))
            || (storedLength != length && LZ4Codec.Decode(stored, output) != length))
        {
            output.Clear();
            return -1;
        }

        return length;
    }

    /// <inheritdoc />
    public int PayloadLength(int slot)
    {
        EnsureUsable(slot);
        return _states[slot] == SlotValid ? _lengths[slot] : 0;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Zeroes the slot's first page. An I/O failure is swallowed (the store cannot act on it): the slot reads as free
    /// here, and until its next write a restart may recover the block, with its own verified bytes.
    /// </remarks>
    public void Free(int slot)
    {
        EnsureUsable(slot);
        if (_states[slot] == SlotEmpty)
        {
            return;
        }

        _recovered = null;
        _lengths[slot] = 0;
        _states[slot] = SlotStale;
        InvalidateHeader(slot);
    }

    /// <summary>
    /// Stops the background verification (waiting for the block in hand) and closes the file. Later calls throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopDeferred(); // the background verification reads the file and rents buffers: it ends first
        _handle.Dispose();
        _pool.Dispose();
        _authenticator?.Dispose();
        NativeMemory.AlignedFree(_zeroPage);
    }

    /// <summary>The checks every write makes (sync and async): a usable slot, a payload that fits, a key.</summary>
    private void EnsureWritable(int slot, in BlockKey key, int payloadLength)
    {
        EnsureUsable(slot);
        if (payloadLength == 0 || payloadLength > SlotBytes)
        {
            ThrowHelper.ThrowPayloadLength("payload", payloadLength, SlotBytes);
        }

        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureUsable(int slot)
    {
        if (_disposed != 0)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{SlotCount - 1}.");
        }

        if (!_scanned)
        {
            ScanOnce();
        }
    }
}
