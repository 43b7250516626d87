using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// An intrusive doubly-linked list over handles 0..capacity−1, stored as two int arrays plus a head/tail pair in a
/// small header array so the struct can be copied freely. The building block of LRU-, FIFO- and queue-based policies.
/// </summary>
public readonly struct HandleList
{
    private const int HeadIndex = 0;
    private const int TailIndex = 1;
    private const int CountIndex = 2;
    private readonly int[] _links; // next of h at 2h, previous at 2h + 1: one cache line serves both
    private readonly int[] _ends; // head, tail, count: shared by every copy of this struct

    /// <summary>Creates an empty list for handles 0 to <paramref name="capacity"/> − 1.</summary>
    public HandleList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Array.MaxLength / 2);
        _links = new int[2 * capacity];
        _ends = [-1, -1, 0];
        Array.Fill(_links, int.MinValue);
    }

    /// <summary>The first handle, or -1.</summary>
    public int Head => _ends[HeadIndex];

    /// <summary>The last handle, or -1.</summary>
    public int Tail => _ends[TailIndex];

    /// <summary>Handles in the list.</summary>
    public int Count => _ends[CountIndex];

    /// <summary>Whether <paramref name="handle"/> is in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int handle) => _links[2 * handle] != int.MinValue;

    /// <summary>The handle after <paramref name="handle"/> (towards the tail), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int handle) => _links[2 * handle];

    /// <summary>The handle before <paramref name="handle"/> (towards the head), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Previous(int handle) => _links[(2 * handle) + 1];

    /// <summary>Adds a handle at the head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushFront(int handle)
    {
        int head = _ends[HeadIndex];
        _links[(2 * handle) + 1] = -1;
        _links[2 * handle] = head;
        if (head >= 0)
        {
            _links[(2 * head) + 1] = handle;
        }
        else
        {
            _ends[TailIndex] = handle;
        }

        _ends[HeadIndex] = handle;
        _ends[CountIndex]++;
    }

    /// <summary>Adds a handle at the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushBack(int handle)
    {
        int tail = _ends[TailIndex];
        _links[2 * handle] = -1;
        _links[(2 * handle) + 1] = tail;
        if (tail >= 0)
        {
            _links[2 * tail] = handle;
        }
        else
        {
            _ends[HeadIndex] = handle;
        }

        _ends[TailIndex] = handle;
        _ends[CountIndex]++;
    }

    /// <summary>Adds a handle right after <paramref name="anchor"/> (towards the tail); the anchor must be in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void InsertAfter(int anchor, int handle)
    {
        int next = _links[2 * anchor];
        _links[(2 * handle) + 1] = anchor;
        _links[2 * handle] = next;
        _links[2 * anchor] = handle;
        if (next >= 0)
        {
            _links[(2 * next) + 1] = handle;
        }
        else
        {
            _ends[TailIndex] = handle;
        }

        _ends[CountIndex]++;
    }

    /// <summary>Removes a handle that is in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Remove(int handle)
    {
        int prev = _links[(2 * handle) + 1];
        int next = _links[2 * handle];
        if (prev >= 0)
        {
            _links[2 * prev] = next;
        }
        else
        {
            _ends[HeadIndex] = next;
        }

        if (next >= 0)
        {
            _links[(2 * next) + 1] = prev;
        }
        else
        {
            _ends[TailIndex] = prev;
        }

        _links[2 * handle] = int.MinValue;
        _links[(2 * handle) + 1] = int.MinValue;
        _ends[CountIndex]--;
    }

    /// <summary>Moves a handle that is in the list to the head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MoveToFront(int handle)
    {
        int head = _ends[HeadIndex];
        if (head == handle)
        {
            return;
        }

        // Not the head, so it has a predecessor: unlink and relink in place (the hot path of every LRU hit).
        int prev = _links[(2 * handle) + 1];
        int next = _links[2 * handle];
        _links[2 * prev] = next;
        if (next >= 0)
        {
            _links[(2 * next) + 1] = prev;
        }
        else
        {
            _ends[TailIndex] = prev;
        }

        _links[(2 * handle) + 1] = -1;
        _links[2 * handle] = head;
        _links[(2 * head) + 1] = handle;
        _ends[HeadIndex] = handle;
    }

    /// <summary>Removes and returns the tail, or -1 when empty.</summary>
    public int PopBack()
    {
        int tail = _ends[TailIndex];
        if (tail >= 0)
        {
            Remove(tail);
        }

        return tail;
    }
}
