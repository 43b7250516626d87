using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// The store's slots as the Redis device knows them: how many and how large, which block each slot holds, its payload
/// length and the server key its value lives under, and the checks a slot call makes against them. The server holds
/// the bytes; this map is what a read checks before asking it.
/// </summary>
internal sealed class RedisSlotMap
{
    private readonly BlockKey[] _keys;
    private readonly int[] _lengths;
    private readonly RedisKey[] _serverKeys;

    /// <exception cref="ArgumentOutOfRangeException">A count or size is below one (or a value would pass 2 GiB).</exception>
    public RedisSlotMap(int slotCount, int slotBytes)
    {
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        if (slotBytes <= 0 || slotBytes > int.MaxValue - RedisBlockHeader.SealedSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotBytes), slotBytes, $"Slot size {slotBytes} must be at least one byte.");
        }

        SlotCount = slotCount;
        SlotBytes = slotBytes;
        _keys = new BlockKey[slotCount];
        _lengths = new int[slotCount];
        _serverKeys = new RedisKey[slotCount];
    }

    /// <summary>Number of slots.</summary>
    public int SlotCount { get; }

    /// <summary>Largest payload of one block.</summary>
    public int SlotBytes { get; }

    /// <summary>Throws when <paramref name="slot"/> is out of range.</summary>
    public void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slot), slot, $"Slot {slot} is outside 0..{SlotCount - 1}.");
        }
    }

    /// <summary>The checks every write makes (sync and async): a payload that fits, a key.</summary>
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

    /// <summary>
    /// The checks before a read: the payload length of <paramref name="key"/>'s block in <paramref name="slot"/>, or
    /// 0 when the slot holds another or none.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than the block.</exception>
    public int BeginRead(int slot, in BlockKey key, int destinationLength)
    {
        int length = _lengths[slot] != 0 && _keys[slot].Equals(key) ? _lengths[slot] : 0;
        if (length != 0 && destinationLength < length)
        {
            ThrowHelper.ThrowDestinationTooSmall("destination", destinationLength, length);
        }

        return length;
    }

    /// <summary>Records a block written into <paramref name="slot"/>.</summary>
    public void Record(int slot, in BlockKey key, int length, RedisKey serverKey)
    {
        _keys[slot] = key;
        _lengths[slot] = length;
        _serverKeys[slot] = serverKey;
    }

    /// <summary>Empties <paramref name="slot"/>.</summary>
    public void Forget(int slot)
    {
        _keys[slot] = BlockKey.Empty;
        _lengths[slot] = 0;
        _serverKeys[slot] = default;
    }

    /// <summary>The payload length in <paramref name="slot"/>; 0 when empty.</summary>
    public int Length(int slot) => _lengths[slot];

    /// <summary>The server key of the value in <paramref name="slot"/>.</summary>
    public RedisKey ServerKey(int slot) => _serverKeys[slot];
}
