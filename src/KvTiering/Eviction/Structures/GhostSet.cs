using System.Diagnostics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// A bounded FIFO set of block keys, for the ghost queues of S3-FIFO and ARC: keys of blocks recently evicted,
/// remembered without their data. Adding to a full set forgets the oldest key. Everything lives in arrays sized at
/// construction; nothing allocates afterwards.
/// </summary>
/// <remarks>
/// Keys sit in numbered cells; a <see cref="HandleList"/> over the cells keeps the FIFO order (so a hit can leave
/// from the middle in O(1)), and a <see cref="KeySlotIndex"/> (open addressing with backward-shift deletion, Knuth,
/// TAOCP vol. 3, 6.4 algorithm R, at load factor ≤ 0.25) maps a key to its cell. The index keeps each key's hash
/// beside its cell and each cell's bucket, so forgetting the oldest key probes nothing, a shift reads no key and a
/// lookup that misses reads no key either (ARC's replay spent a seventh of its time here). The cells may be a range of
/// an owner's key array whose index the owner shares (a shadow cache's resident blocks and its ghosts, found by one
/// probe).
/// </remarks>
internal sealed class GhostSet
{
    private readonly BlockKey[] _keys;
    private readonly HandleList _order;   // over cells − _first; head = newest, tail = oldest
    private readonly int[] _free;         // free cells − _first
    private readonly KeySlotIndex _index;
    private readonly int _first;
    private int _freeTop;

    /// <summary>A set of <paramref name="capacity"/> keys with its own index.</summary>
    public GhostSet(int capacity)
        : this(capacity, CommittedArray.Allocate<BlockKey>(Math.Max(0, capacity)), index: null, first: 0)
    {
    }

    /// <summary>
    /// A set of <paramref name="capacity"/> keys in cells <paramref name="first"/> to <paramref name="first"/> + c − 1
    /// of <paramref name="keys"/>, indexed by <paramref name="index"/> (null: its own), which must index <paramref name="keys"/>.
    /// </summary>
    public GhostSet(int capacity, BlockKey[] keys, KeySlotIndex? index, int first)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)first + capacity, keys.Length);
        Capacity = capacity;
        _keys = keys;
        _first = first;
        _order = new HandleList(capacity);
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeTop = capacity;
        _index = index ?? new KeySlotIndex(keys, bucketsPerSlot: 4);
    }

    /// <summary>The most keys the set remembers.</summary>
    public int Capacity { get; }

    /// <summary>Keys remembered now.</summary>
    public int Count => _order.Count;

    public bool Contains(in BlockKey key) => Find(key) >= 0;

    /// <summary>The cell remembering <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key)
    {
        int cell = _index.Find(key);
        return (uint)(cell - _first) < (uint)Capacity ? cell : -1;
    }

    /// <summary>Whether <paramref name="cell"/>, one of the set's, still remembers <paramref name="key"/>.</summary>
    public bool Holds(int cell, in BlockKey key) => _order.Contains(cell - _first) && _keys[cell].Equals(key);

    /// <summary>Remembers <paramref name="key"/> as the newest, forgetting the oldest when full. No-op if present.</summary>
    public void Add(in BlockKey key)
    {
        if (Capacity == 0 || Find(key) >= 0)
        {
            return;
        }

        AddAbsent(key);
    }

    /// <summary>
    /// <see cref="Add"/> for a key the caller knows its index does not hold (a resident block's, when every insert
    /// removes the newcomer's ghost): no lookup first.
    /// </summary>
    public void AddAbsent(in BlockKey key)
    {
        Debug.Assert(Capacity == 0 || _index.Find(key) < 0, "AddAbsent of a key the index holds");
        if (Capacity == 0)
        {
            return;
        }

        if (_freeTop == 0)
        {
            RemoveOldest();
        }

        int local = _free[--_freeTop];
        _keys[_first + local] = key;
        _order.PushFront(local);
        _index.Add(_first + local);
    }

    /// <summary>
    /// With a shared index: remembers the key of the owner's indexed cell <paramref name="slot"/> as the newest,
    /// taking over its index entry (no probe); the key must be in no ghost cell. False (nothing done) for a set of
    /// capacity 0.
    /// </summary>
    public bool AddFrom(int slot)
    {
        if (Capacity == 0)
        {
            return false;
        }

        if (_freeTop == 0)
        {
            RemoveOldest();
        }

        int local = _free[--_freeTop];
        _keys[_first + local] = _keys[slot];
        _order.PushFront(local);
        _index.Move(slot, _first + local);
        return true;
    }

    /// <summary>Forgets <paramref name="key"/>; returns whether it was remembered.</summary>
    public bool Remove(in BlockKey key)
    {
        int cell = Find(key);
        if (cell < 0)
        {
            return false;
        }

        Forget(cell);
        return true;
    }

    /// <summary>Forgets the oldest key; returns false when the set is empty.</summary>
    public bool RemoveOldest()
    {
        int local = _order.Tail;
        if (local < 0)
        {
            return false;
        }

        Forget(_first + local);
        return true;
    }

    /// <summary>Forgets the key in <paramref name="cell"/>, one of the set's that remembers a key.</summary>
    public void Forget(int cell)
    {
        _index.RemoveSlot(cell);
        _order.Remove(cell - _first);
        _free[_freeTop++] = cell - _first;
    }
}
