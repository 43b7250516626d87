using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// Which of <see cref="BlockTable"/>'s entries are free: a stack, so the entry freed last is taken first (its record's
/// line is likely still near). Entry 0 is taken first from a new list.
/// </summary>
/// <remarks>
/// A mutable struct held in place by its one owner (<see cref="BlockTable"/>'s field, never copied), so a replay's
/// miss and eviction reach it without a load more than when it was the table's own fields.
/// </remarks>
internal struct EntryFreeList
{
    private readonly int[] _free;
    private int _top;

    /// <param name="capacity">How many entries there are, all free at first.</param>
    public EntryFreeList(int capacity)
    {
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _top = capacity;
    }

    /// <summary>How many entries are free.</summary>
    public readonly int Count => _top;

    /// <summary>Takes a free entry; -1 when none is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Take() => _top == 0 ? -1 : _free[--_top];

    /// <summary>Gives entry <paramref name="e"/>, taken before, back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Return(int e) => _free[_top++] = e;
}
