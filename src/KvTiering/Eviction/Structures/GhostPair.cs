using System.Diagnostics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// Two bounded FIFO lists of block keys behind one key index, for ARC's ghost lists B1 and B2: a key is in at most
/// one of them, so one probe says whether and where it is. Adding to a full list forgets that list's oldest key.
/// Everything lives in arrays sized at construction; nothing allocates afterwards.
/// </summary>
/// <remarks>
/// As <see cref="GhostSet"/>, with the cells of both lists in one key array: the first list's in
/// [<c>first</c>, <c>first</c> + c), the second's in the c cells after them, each list's order a
/// <see cref="HandleList"/> over its own cells. The index (<see cref="KeySlotIndex"/>) may be the pair's own or one
/// its owner shares with other cells of the same key array (a shadow cache's resident blocks), so that one probe per
/// reference finds a key wherever it is. Two separate <see cref="GhostSet"/>s probed each list in turn: an ARC miss
/// that was no ghost, the common case, probed twice.
/// </remarks>
internal sealed class GhostPair
{
    private readonly BlockKey[] _keys;
    private readonly KeySlotIndex _index;
    private readonly HandleList _firstOrder;  // cells - _first; head = newest
    private readonly HandleList _secondOrder; // cells - _second; head = newest
    private readonly int[] _free;             // the first list's free cells in [0, c), the second's in [c, 2c)
    private readonly int _first;
    private readonly int _second;
    private readonly int _capacity;
    private int _freeFirst;
    private int _freeSecond;

    /// <summary>A pair of lists of <paramref name="capacity"/> keys each, with its own index.</summary>
    public GhostPair(int capacity)
        : this(capacity, CommittedArray.Allocate<BlockKey>(2 * capacity), index: null, first: 0)
    {
    }

    /// <summary>
    /// A pair of lists of <paramref name="capacity"/> keys each in cells <paramref name="first"/> to
    /// <paramref name="first"/> + 2c − 1 of <paramref name="keys"/>, indexed by <paramref name="index"/> (null: its own),
    /// which must index <paramref name="keys"/>.
    /// </summary>
    public GhostPair(int capacity, BlockKey[] keys, KeySlotIndex? index, int first)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + (2L * capacity), keys.Length);
        _keys = keys;
        _index = index ?? new KeySlotIndex(keys, bucketsPerSlot: 4);
        _capacity = capacity;
        _first = first;
        _second = first + capacity;
        _firstOrder = new HandleList(capacity);
        _secondOrder = new HandleList(capacity);
        _free = new int[2 * capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = _first + capacity - 1 - i;
            _free[capacity + i] = _second + capacity - 1 - i;
        }

        _freeFirst = capacity;
        _freeSecond = capacity;
    }

    /// <summary>The most keys each list remembers.</summary>
    public int Capacity => _capacity;

    /// <summary>Keys the first list remembers now.</summary>
    public int FirstCount => _firstOrder.Count;

    /// <summary>Keys the second list remembers now.</summary>
    public int SecondCount => _secondOrder.Count;

    /// <summary>The cell of either list remembering <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key)
    {
        int cell = _index.Find(key);
        return (uint)(cell - _first) < (uint)(2 * _capacity) ? cell : -1;
    }

    /// <summary>Whether <paramref name="cell"/>, one of the pair's, belongs to the first list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsFirst(int cell) => cell < _second;

    /// <summary>Whether <paramref name="cell"/>, one of the pair's, still remembers <paramref name="key"/>.</summary>
    public bool Holds(int cell, in BlockKey key) =>
        (cell < _second ? _firstOrder.Contains(cell - _first) : _secondOrder.Contains(cell - _second)) && _keys[cell].Equals(key);

    /// <summary>Remembers <paramref name="key"/>, which neither list remembers, as the newest of a list.</summary>
    public void AddAbsent(in BlockKey key, bool first)
    {
        Debug.Assert(_capacity == 0 || _index.Find(key) < 0, "AddAbsent of a key the index holds");
        if (_capacity == 0)
        {
            return;
        }

        int cell = TakeCell(first);
        _keys[cell] = key;
        _index.Add(cell);
    }

    /// <summary>
    /// With a shared index: remembers the key of the owner's indexed cell <paramref name="slot"/> as the newest of a
    /// list, taking over its index entry (no probe); the key must be in neither list. False (nothing done) for lists
    /// of capacity 0.
    /// </summary>
    public bool AddFrom(int slot, bool first)
    {
        if (_capacity == 0)
        {
            return false;
        }

        int cell = TakeCell(first);
        _keys[cell] = _keys[slot];
        _index.Move(slot, cell);
        return true;
    }

    /// <summary>A free cell of a list, made the list's newest (its oldest forgotten first when the list is full).</summary>
    private int TakeCell(bool first)
    {
        int cell;
        if (first)
        {
            if (_freeFirst == 0)
            {
                RemoveOldest(first: true);
            }

            cell = _free[--_freeFirst];
            _firstOrder.PushFront(cell - _first);
        }
        else
        {
            if (_freeSecond == 0)
            {
                RemoveOldest(first: false);
            }

            cell = _free[_capacity + --_freeSecond];
            _secondOrder.PushFront(cell - _second);
        }

        return cell;
    }

    /// <summary>Forgets the oldest key of a list; returns false when that list is empty.</summary>
    public bool RemoveOldest(bool first)
    {
        int local = first ? _firstOrder.Tail : _secondOrder.Tail;
        if (local < 0)
        {
            return false;
        }

        Forget(local + (first ? _first : _second));
        return true;
    }

    /// <summary>Forgets the key in <paramref name="cell"/>, one of the pair's that remembers a key.</summary>
    public void Forget(int cell)
    {
        _index.RemoveSlot(cell);
        if (cell < _second)
        {
            _firstOrder.Remove(cell - _first);
            _free[_freeFirst++] = cell;
        }
        else
        {
            _secondOrder.Remove(cell - _second);
            _free[_capacity + _freeSecond++] = cell;
        }
    }
}
