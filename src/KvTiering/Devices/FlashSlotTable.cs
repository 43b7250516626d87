using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// What the flash device knows about each slot without reading it: whether it holds a block, and for a block the
/// fields a read checks (key, raw and stored length, payload checksum), 28 bytes a slot, as written or as the verified
/// header said at recovery. Also the checks a read and a write make against that state.
/// </summary>
/// <remarks>
/// Kept apart from the file so that the hot read path decides a miss from memory, and so that recovery rebuilds the
/// state through the same calls a write makes. Not synchronized: the device contract (never two calls on one slot
/// while one of them writes or frees it) keeps each slot's fields to one writer.
/// </remarks>
internal sealed class FlashSlotTable
{
    private const byte Empty = 0;   // header on flash is known not to verify
    private const byte Valid = 1;   // header on flash describes the block recorded here
    private const byte Stale = 2;   // freed, left unverified, or its header's invalidation failed: it may still verify

    private readonly int[] _lengths;
    private readonly byte[] _states;

    // A stored length below the raw length means LZ4.
    private readonly BlockKey[] _keys;
    private readonly ulong[] _checksums;
    private readonly int[] _storedLengths;

    // Why each slot's latest failed read failed (IReadFailureReporting); written only on a miss, so a hit costs nothing.
    private readonly ReadFailure[] _failures;

    public FlashSlotTable(int slotCount, int slotBytes)
    {
        SlotBytes = slotBytes;
        _lengths = new int[slotCount];
        _states = new byte[slotCount];
        _keys = new BlockKey[slotCount];
        _checksums = new ulong[slotCount];
        _storedLengths = new int[slotCount];
        _failures = new ReadFailure[slotCount];
    }

    /// <summary>Largest payload a slot holds.</summary>
    public int SlotBytes { get; }

    /// <summary>The bytes <paramref name="slot"/>'s block occupies on flash (its LZ4 form when compressed).</summary>
    public int StoredLength(int slot) => _storedLengths[slot];

    /// <summary>The XxHash3 of <paramref name="slot"/>'s stored bytes, as written.</summary>
    public ulong Checksum(int slot) => _checksums[slot];

    /// <summary>The payload length of the block in <paramref name="slot"/>; 0 when it holds none.</summary>
    public int PayloadLength(int slot) => _states[slot] == Valid ? _lengths[slot] : 0;

    /// <summary>
    /// The checks before a read: the block's payload length, or -1 when the slot holds no valid block of
    /// <paramref name="key"/> (recorded as <see cref="ReadFailure.Lost"/>: the device no longer has it).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than the block.</exception>
    public int BeginRead(int slot, in BlockKey key, int destinationLength)
    {
        int length = _lengths[slot];
        if (_states[slot] != Valid || !_keys[slot].Equals(key))
        {
            _failures[slot] = ReadFailure.Lost;
            return -1;
        }

        if (destinationLength < length)
        {
            ThrowHelper.ThrowDestinationTooSmall("destination", destinationLength, length);
        }

        return length;
    }

    /// <summary>Records why a read of <paramref name="slot"/> missed.</summary>
    public void ReadFailed(int slot, ReadFailure cause) => _failures[slot] = cause;

    /// <summary>Why the latest failed read of <paramref name="slot"/> missed.</summary>
    public ReadFailure LastReadFailure(int slot) => _failures[slot];

    /// <summary>The checks every write makes (sync and async): a payload that fits a slot, a key.</summary>
    public void CheckWrite(in BlockKey key, int payloadLength)
    {
        if (payloadLength == 0 || payloadLength > SlotBytes)
        {
            ThrowHelper.ThrowPayloadLength("payload", payloadLength, SlotBytes);
        }

        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }
    }

    /// <summary>Records what a valid slot holds: what a read checks, without reading the header back.</summary>
    public void Remember(int slot, in BlockKey key, int rawLength, int storedLength, ulong checksum)
    {
        _keys[slot] = key;
        _checksums[slot] = checksum;
        _storedLengths[slot] = storedLength;
        _lengths[slot] = rawLength;
        _states[slot] = Valid;
    }

    /// <summary>
    /// Marks a slot that holds a block as stale (it reads as free; its header may still verify); returns false when
    /// the slot was known empty already, so there is nothing to invalidate.
    /// </summary>
    public bool TryFree(int slot)
    {
        if (_states[slot] == Empty)
        {
            return false;
        }

        MarkStale(slot);
        return true;
    }

    /// <summary>A slot whose header may verify on flash but that must not be read (freed, or not verified yet).</summary>
    public void MarkStale(int slot)
    {
        _lengths[slot] = 0;
        _states[slot] = Stale;
    }

    /// <summary>A slot whose header was zeroed (<paramref name="headerZeroed"/>), or whose zeroing failed (stale).</summary>
    public void Invalidated(int slot, bool headerZeroed)
    {
        _states[slot] = headerZeroed ? Empty : Stale;
        _lengths[slot] = 0;
    }

    /// <summary>Forgets a slot before a scan reads its header again.</summary>
    public void Reset(int slot)
    {
        _states[slot] = Empty;
        _lengths[slot] = 0;
    }
}
