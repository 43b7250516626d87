using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// A bounded note of the keys whose blocks a persistent tier found damaged and dropped when it opened, or in the
/// background verification after (<see cref="IDroppedAtRecovery"/>, <see cref="IDeferredRecovery"/>), so that a read
/// of one the store does not hold says <see cref="BlockMiss.Corrupt"/> rather than <see cref="BlockMiss.NotResident"/>:
/// a restore then counts its snapshot corrupt, not evicted. A key is forgotten when it enters the store again (a put,
/// a shared tier's block adopted, a block recovered intact), or when the note is full and newer drops push it out.
/// </summary>
/// <remarks>
/// Noted and forgotten under the store's lock; asked from any thread, lock-free misses included, hence the concurrent
/// dictionary, and a count read first so that a store that dropped nothing pays one load. The bound keeps a file whose
/// every slot failed (a disk that returned garbage) from costing more than about a megabyte.
/// </remarks>
internal sealed class DamagedAtOpen
{
    /// <summary>The most keys noted at once; the oldest noted goes first.</summary>
    public const int Capacity = 16_384;

    private readonly ConcurrentDictionary<BlockKey, long> _keys = new();
    private readonly Queue<(BlockKey Key, long Order)> _order = new(); // the notes in order, forgotten ones among them
    private long _next;
    private volatile int _count;

    /// <summary>Keys noted now.</summary>
    public int Count => _count;

    /// <summary>Notes <paramref name="key"/> as dropped damaged, pushing the oldest note out when full. Under the store's lock.</summary>
    public void Note(in BlockKey key)
    {
        if (_keys.ContainsKey(key))
        {
            return;
        }

        while (_count >= Capacity)
        {
            ForgetOldest();
        }

        long order = _next++;
        _keys[key] = order;
        _order.Enqueue((key, order));
        _count++;
        if (_order.Count > 2 * Capacity)
        {
            Compact(); // forgotten keys' entries: never more than twice the bound
        }
    }

    /// <summary>Forgets <paramref name="key"/>: the store holds a copy again. Under the store's lock.</summary>
    public void Forget(in BlockKey key)
    {
        if (_count != 0 && _keys.TryRemove(key, out _))
        {
            _count--;
            if (_count == 0)
            {
                _order.Clear();
            }
        }
    }

    /// <summary>How a miss of <paramref name="key"/>, which the store does not hold, is told: any thread.</summary>
    public BlockMiss MissOf(in BlockKey key) =>
        _count != 0 && _keys.ContainsKey(key) ? BlockMiss.Corrupt : BlockMiss.NotResident;

    private void ForgetOldest()
    {
        while (_order.TryDequeue(out (BlockKey Key, long Order) oldest))
        {
            if (_keys.TryGetValue(oldest.Key, out long order) && order == oldest.Order && _keys.TryRemove(oldest.Key, out _))
            {
                _count--;
                return;
            }
        }
    }

    private void Compact()
    {
        int entries = _order.Count;
        for (int i = 0; i < entries; i++)
        {
            (BlockKey Key, long Order) entry = _order.Dequeue();
            if (_keys.TryGetValue(entry.Key, out long order) && order == entry.Order)
            {
                _order.Enqueue(entry);
            }
        }
    }
}
