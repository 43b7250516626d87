namespace KvTiering.KvEvents;

/// <summary>The instances holding one block, each with a bit per medium (see <see cref="MediumIndex"/>).</summary>
internal sealed class BlockHolders
{
    private long[] _items = new long[2]; // instance << 8 | medium mask
    private int _count;

    public int Count => _count;

    public ReadOnlySpan<long> Items => _items.AsSpan(0, _count);

    /// <summary>Sets <paramref name="mediumBit"/> for <paramref name="instance"/>.</summary>
    public void Add(int instance, int mediumBit)
    {
        for (int i = 0; i < _count; i++)
        {
            if ((int)(_items[i] >> 8) == instance)
            {
                _items[i] |= (long)mediumBit;
                return;
            }
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _count * 2);
        }

        _items[_count++] = ((long)instance << 8) | (long)mediumBit;
    }

    /// <summary>Clears <paramref name="mediumBits"/> for <paramref name="instance"/>; its entry goes when none is left.</summary>
    public void Remove(int instance, int mediumBits)
    {
        for (int i = 0; i < _count; i++)
        {
            if ((int)(_items[i] >> 8) != instance)
            {
                continue;
            }

            long left = _items[i] & ~(long)mediumBits;
            if ((left & 0xFF) == 0)
            {
                _items[i] = _items[--_count];
            }
            else
            {
                _items[i] = left;
            }

            return;
        }
    }
}
