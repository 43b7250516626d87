using System.IO.Hashing;
using System.Runtime.CompilerServices;
using K4os.Compression.LZ4;
using KvTiering.Blocks;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// A flash tier: fixed-size slots in one preallocated file (<c>blocks.kvt</c>) in a directory the caller names. Every
/// block carries a checksummed header with its key, parent, lengths and write generation, and every read verifies
/// the key and the payload's checksum, so a torn write or a flipped bit is a miss, never wrong bytes. Blocks survive a
/// restart: <see cref="Recover"/> rebuilds the index from the header table. Optionally, each block is LZ4-compressed.
/// </summary>
/// <remarks>
/// A payload is written before its header, and the header checksums the payload, so at every instant a slot either
/// holds a header that describes the bytes beside it or reads as a miss: a torn write cannot return wrong bytes.
/// The fields a read checks (key, stored length, payload checksum) are kept in memory from the write, or from the
/// verified header at recovery, 28 bytes a slot: a read is then one I/O, the payload's, and it still never returns
/// bytes whose checksum it has not matched. Not thread-safe: the store calls a device under its lock, one call at a
/// time.
/// </remarks>
public sealed partial class FlashDevice : IPersistentBlockDevice
{
    /// <summary>The name of the file that holds a tier's slots.</summary>
    public const string FileName = "blocks.kvt";

    private const byte SlotEmpty = 0;   // header on flash is known not to verify
    private const byte SlotValid = 1;   // header on flash describes the block in _lengths
    private const byte SlotStale = 2;   // freed, but invalidating its header failed: it may still verify

    // Zeroed once and never written: a free slot's header.
    private static readonly byte[] s_zeroHeader = new byte[FlashSlotHeader.Size];

    private readonly FlashGeometry _geometry;
    private readonly bool _compression;
    private readonly byte[] _header = new byte[FlashSlotHeader.Size];
    private readonly int[] _lengths;
    private readonly byte[] _states;

    // What each valid slot holds, as written or as its verified header said at recovery; a stored length below the
    // raw length means LZ4.
    private readonly BlockKey[] _keys;
    private readonly ulong[] _checksums;
    private readonly int[] _storedLengths;
    private readonly SafeFileHandle _handle;
    private byte[]? _scratch;
    private ulong _nextGeneration = 1;
    private bool _scanned;
    private List<RecoveredBlock>? _recovered;
    private bool _disposed;

    /// <summary>
    /// Opens the flash tier in <paramref name="directory"/>, creating the directory (when its parent exists) and the
    /// file when they are missing. An existing file must have been created with the same geometry.
    /// </summary>
    /// <param name="directory">The directory that holds the tier's file.</param>
    /// <param name="slotCount">Number of slots; the file's size is fixed by it.</param>
    /// <param name="slotBytes">Largest payload one slot holds, bytes.</param>
    /// <param name="compression">Compress each block with LZ4, keeping it raw when it does not shrink.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotCount"/> or <paramref name="slotBytes"/> is below one.</exception>
    /// <exception cref="IOException">The directory or file cannot be created or opened; the message names the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; the message names the path.</exception>
    /// <exception cref="InvalidDataException">The existing file is corrupt or was created with another geometry.</exception>
    public FlashDevice(string directory, int slotCount, int slotBytes, bool compression = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        if (slotBytes <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotBytes), slotBytes, $"Slot size {slotBytes} must be at least one byte.");
        }

        _geometry = new FlashGeometry(slotCount, slotBytes);
        _compression = compression;
        _lengths = new int[slotCount];
        _states = new byte[slotCount];
        _keys = new BlockKey[slotCount];
        _checksums = new ulong[slotCount];
        _storedLengths = new int[slotCount];
        Directory = Path.GetFullPath(directory);
        FilePath = Path.Combine(Directory, FileName);
        _handle = Open(out bool created);
        _scanned = created;
        if (created)
        {
            _recovered = [];
        }
    }

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

    /// <summary>The file's fixed size in bytes: superblock, header table and every slot.</summary>
    public long FileLength => _geometry.FileLength;

    /// <summary>Whether blocks are LZ4-compressed when they shrink.</summary>
    public bool Compression => _compression;

    /// <summary>
    /// Test seam: called with (file offset, length) before every write; returning true makes the write throw an
    /// <see cref="IOException"/>, as a full disk would.
    /// </summary>
    internal Func<long, int, bool>? FailWrite { get; set; }

    /// <summary>The file offset of <paramref name="slot"/>'s header.</summary>
    internal static long HeaderOffset(int slot) => FlashGeometry.HeaderOffset(slot);

    /// <summary>The file offset of <paramref name="slot"/>'s payload.</summary>
    internal long PayloadOffset(int slot) => _geometry.SlotOffset(slot);

    /// <inheritdoc />
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        EnsureUsable(slot);
        if (payload.IsEmpty || payload.Length > SlotBytes)
        {
            ThrowHelper.ThrowPayloadLength(nameof(payload), payload.Length, SlotBytes);
        }

        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        ReadOnlySpan<byte> stored = payload;
        bool compressed = false;
        if (_compression && payload.Length > 16)
        {
            // A target one byte short of the input makes the encoder give up as soon as the block cannot shrink.
            Span<byte> target = Scratch().AsSpan(0, payload.Length - 1);
            int encoded = LZ4Codec.Encode(payload, target, LZ4Level.L00_FAST);
            if (encoded > 0)
            {
                stored = target[..encoded];
                compressed = true;
            }
        }

        ulong checksum = XxHash3.HashToUInt64(stored);
        _recovered = null;
        bool headerTouched = false;
        try
        {
            // No need to zero an old header first: until the new header lands, the old one's payload checksum no
            // longer matches the bytes beside it, so the slot reads as a miss, never as the old block's bytes.
            WriteAt(stored, _geometry.SlotOffset(slot));
            new FlashSlotHeader(slot, key, parent, payload.Length, stored.Length, compressed, _nextGeneration, checksum)
                .WriteTo(_header);
            headerTouched = true;
            WriteAt(_header, FlashGeometry.HeaderOffset(slot));
        }
        catch (IOException)
        {
            if (headerTouched || _states[slot] != SlotEmpty)
            {
                // An old header, or part of the new one, may be on flash; zeroing it is best effort, and the caller
                // sees the first error.
                InvalidateHeader(slot);
            }

            throw;
        }

        _nextGeneration++;
        Remember(slot, key, payload.Length, stored.Length, checksum);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Checks the key against the slot's record, reads only the payload, and returns it only when its XxHash3 matches
    /// the checksum recorded for the slot; otherwise the destination is cleared and the read misses.
    /// </remarks>
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        EnsureUsable(slot);
        int length = _lengths[slot];
        if (_states[slot] != SlotValid || !_keys[slot].Equals(key))
        {
            return -1;
        }

        if (destination.Length < length)
        {
            ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, length);
        }

        Span<byte> output = destination[..length];
        int storedLength = _storedLengths[slot];
        ulong checksum = _checksums[slot];
        if (storedLength == length)
        {
            // The common case reads straight into the caller's buffer: no bounce copy.
            if (ReadAt(output, _geometry.SlotOffset(slot)) != length || XxHash3.HashToUInt64(output) != checksum)
            {
                output.Clear();
                return -1;
            }

            return length;
        }

        Span<byte> stored = Scratch().AsSpan(0, storedLength);
        if (ReadAt(stored, _geometry.SlotOffset(slot)) != stored.Length
            || XxHash3.HashToUInt64(stored) != checksum
            || LZ4Codec.Decode(stored, output) != length)
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
    /// Writes a zeroed header. An I/O failure is swallowed (the store cannot act on it): the slot reads as free here,
    /// and until its next write a restart may recover the block, with its own verified bytes.
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

    /// <summary>Closes the file. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _handle.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureUsable(int slot)
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{SlotCount - 1}.");
        }

        if (!_scanned)
        {
            Scan();
        }
    }
}
