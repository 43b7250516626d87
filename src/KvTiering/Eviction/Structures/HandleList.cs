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
    // The methods read both fields into locals first: the JIT otherwise reloads a field after each store into an array.

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
        int[] links = _links;
        int[] ends = _ends;
        int head = ends[HeadIndex];
        links[(2 * handle) + 1] = -1;
        links[2 * handle] = head;
        if (head >= 0)
        {
            links[(2 * head) + 1] = handle;
        }
        else
        {
            ends[TailIndex] = handle;
        }

        ends[HeadIndex] = handle;
        ends[CountIndex]++;
    }

    /// <summary>Adds a handle at the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushBack(int handle)
    {
        int[] links = _links;
        int[] ends = _ends;
        int tail = ends[TailIndex];
        links[2 * handle] = -1;
        links[(2 * handle) + 1] = tail;
        if (tail >= 0)
        {
            links[2 * tail] = handle;
        }
        else
        {
            ends[HeadIndex] = handle;
        }

        ends[TailIndex] = handle;
        ends[CountIndex]++;
    }

    /// <summary>Adds a handle right after <paramref name="anchor"/> (towards the tail); the anchor must be in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void InsertAfter(int anchor, int handle)
    {
        int[] links = _links;
        int[] ends = _ends;
        int next = links[2 * anchor];
        links[(2 * handle) + 1] = anchor;
        links[2 * handle] = next;
        links[2 * anchor] = handle;
        if (next >= 0)
        {
            links[(2 * next) + 1] = handle;
        }
        else
        {
            ends[TailIndex] = handle;
        }

        ends[CountIndex]++;
    }

    /// <summary>Removes a handle that is in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Remove(int handle)
    {
        int[] links = _links;
        int[] ends = _ends;
        int prev = links[(2 * handle) + 1];
        int next = links[2 * handle];
        if (prev >= 0)
        {
            links[2 * prev] = next;
        }
        else
        {
            ends[HeadIndex] = next;
        }

        if (next >= 0)
        {
            links[(2 * next) + 1] = prev;
        }
        else
        {
            ends[TailIndex] = prev;
        }

        links[2 * handle] = int.MinValue;
        links[(2 * handle) + 1] = int.MinValue;
        ends[CountIndex]--;
    }

    /// <summary>Moves a handle that is in the list to the head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MoveToFront(int handle)
    {
        int[] links = _links;
        int[] ends = _ends;
        int head = ends[HeadIndex];
        if (head == handle)
        {
            return;
        }

        // Not the head, so it has a predecessor: unlink and relink in place (the hot path of every LRU hit).
        int prev = links[(2 * handle) + 1];
        int next = links[2 * handle];
        links[2 * prev] = next;
        if (next >= 0)
        {
            links[(2 * next) + 1] = prev;
        }
        else
        {
            ends[TailIndex] = prev;
        }

        links[(2 * handle) + 1] = -1;
        links[2 * handle] = head;
        links[(2 * head) + 1] = handle;
        ends[HeadIndex] = handle;
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
