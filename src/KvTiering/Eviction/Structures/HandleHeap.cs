using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// An indexed binary min-heap over handles 0..capacity−1: each handle is in the heap at most once, with a key that
/// can be changed or removed in O(log n) because the heap remembers every handle's position. The ordering building
/// block of priority policies (GDSF's H values, Belady's next uses, leaf-LRU's touch stamps).
/// </summary>
/// <typeparam name="TKey">
/// The key; the smallest comes out first. A struct key compares through a constrained call, so comparisons inline.
/// A policy that wants the largest first uses a key whose <see cref="IComparable{T}.CompareTo"/> is reversed.
/// </typeparam>
internal sealed class HandleHeap<TKey>
    where TKey : struct, IComparable<TKey>
{
    private readonly int[] _heap;      // position → handle
    private readonly int[] _position;  // handle → position, -1 when absent
    private readonly TKey[] _keys;     // handle → key
    private readonly int[] _stash;     // handles set aside by Stash, put back by Unstash
    private int _count;
    private int _stashed;

    public HandleHeap(int capacity)
    {
        _heap = new int[capacity];
        _position = new int[capacity];
        _keys = new TKey[capacity];
        _stash = new int[capacity];
        Array.Fill(_position, -1);
    }

    public int Count => _count;

    /// <summary>The handle with the smallest key, or -1 when empty.</summary>
    public int Top => _count > 0 ? _heap[0] : -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int handle) => _position[handle] >= 0;

    /// <summary>The key of a handle that is in the heap (or the last key it had).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TKey KeyOf(int handle) => _keys[handle];

    /// <summary>Inserts <paramref name="handle"/> with <paramref name="key"/>, or changes its key when present.</summary>
    public void Set(int handle, TKey key)
    {
        int pos = _position[handle];
        if (pos < 0)
        {
            _keys[handle] = key;
            pos = _count++;
            _heap[pos] = handle;
            _position[handle] = pos;
            SiftUp(pos);
            return;
        }

        int order = key.CompareTo(_keys[handle]);
        _keys[handle] = key;
        if (order < 0)
        {
            SiftUp(pos);
        }
        else if (order > 0)
        {
            SiftDown(pos);
        }
    }

    /// <summary>Removes <paramref name="handle"/>; no-op when it is absent.</summary>
    public void Remove(int handle)
    {
        int pos = _position[handle];
        if (pos < 0)
        {
            return;
        }

        _position[handle] = -1;
        int last = _heap[--_count];
        if (pos == _count)
        {
            return;
        }

        _heap[pos] = last;
        _position[last] = pos;
        if (pos > 0 && _keys[last].CompareTo(_keys[_heap[(pos - 1) >> 1]]) < 0)
        {
            SiftUp(pos);
        }
        else
        {
            SiftDown(pos);
        }
    }

    /// <summary>Removes and returns the handle with the smallest key, or -1 when empty.</summary>
    public int Pop()
    {
        int top = Top;
        if (top >= 0)
        {
            Remove(top);
        }

        return top;
    }

    /// <summary>
    /// Takes the top handle out and sets it aside with its key until <see cref="Unstash"/>: how a policy looks past
    /// pinned handles for the best evictable one without losing them.
    /// </summary>
    public void StashTop()
    {
        int top = Pop();
        if (top >= 0)
        {
            _stash[_stashed++] = top;
        }
    }

    /// <summary>Puts every stashed handle back with the key it had.</summary>
    public void Unstash()
    {
        while (_stashed > 0)
        {
            int handle = _stash[--_stashed];
            Set(handle, _keys[handle]);
        }
    }

    /// <summary>The evictable handle with the smallest key, or -1; the heap is left as it was.</summary>
    public int FirstEvictable(TierView tier)
    {
        int top;
        while ((top = Top) >= 0 && !tier.IsEvictable(top))
        {
            StashTop();
        }

        Unstash();
        return top;
    }

    private void SiftUp(int pos)
    {
        int handle = _heap[pos];
        TKey key = _keys[handle];
        while (pos > 0)
        {
            int parent = (pos - 1) >> 1;
            int ph = _heap[parent];
            if (key.CompareTo(_keys[ph]) >= 0)
            {
                break;
            }

            _heap[pos] = ph;
            _position[ph] = pos;
            pos = parent;
        }

        _heap[pos] = handle;
        _position[handle] = pos;
    }

    private void SiftDown(int pos)
    {
        int handle = _heap[pos];
        TKey key = _keys[handle];
        while (true)
        {
            int child = (pos << 1) + 1;
            if (child >= _count)
            {
                break;
            }

            int ch = _heap[child];
            int right = child + 1;
            if (right < _count && _keys[_heap[right]].CompareTo(_keys[ch]) < 0)
            {
                child = right;
                ch = _heap[right];
            }

            if (_keys[ch].CompareTo(key) >= 0)
            {
                break;
            }

            _heap[pos] = ch;
            _position[ch] = pos;
            pos = child;
        }

        _heap[pos] = handle;
        _position[handle] = pos;
    }
}
