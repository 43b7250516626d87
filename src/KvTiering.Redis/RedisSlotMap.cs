using KvTiering.Blocks;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// The store's slots as the Redis device knows them: which block each slot holds, its payload length and the server
/// key its value lives under. The server holds the bytes; this map is what a read checks before asking it.
/// </summary>
internal sealed class RedisSlotMap(int slotCount)
{
    private readonly BlockKey[] _keys = new BlockKey[slotCount];
    private readonly int[] _lengths = new int[slotCount];
    private readonly RedisKey[] _serverKeys = new RedisKey[slotCount];

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

    /// <summary>The payload length of <paramref name="key"/>'s block in <paramref name="slot"/>; 0 when the slot holds another or none.</summary>
    public int LengthOf(int slot, in BlockKey key) => _lengths[slot] != 0 && _keys[slot].Equals(key) ? _lengths[slot] : 0;

    /// <summary>The server key of the value in <paramref name="slot"/>.</summary>
    public RedisKey ServerKey(int slot) => _serverKeys[slot];
}
