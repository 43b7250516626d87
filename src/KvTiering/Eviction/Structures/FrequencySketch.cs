using System.Numerics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// A count-min sketch of 4-bit counters that estimates how often each key was seen lately, in a fixed table of
/// longs (16 counters each). Every <c>10 × capacity</c> increments all counters halve, so old popularity fades.
/// </summary>
/// <remarks>
/// The TinyLFU sketch of Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
/// ACM TOS 2017, in the layout Caffeine's FrequencySketch uses: four counters per key, one in each of four table
/// entries picked by four seeded hashes, at the same nibble group. No doorkeeper: the 4-bit counters saturate at 15.
/// </remarks>
internal sealed class FrequencySketch
{
    private const ulong ResetMask = 0x7777777777777777UL;
    private const ulong OneMask = 0x1111111111111111UL;
    private static readonly ulong[] Seeds =
        [0xc3a5c85c97cb3127UL, 0xb492b66fbe98f273UL, 0x9ae16a3b2f90404fUL, 0xcbf29ce484222325UL];

    private readonly ulong[] _table;
    private readonly int _tableMask;
    private readonly int _sampleSize;
    private int _size;

    public FrequencySketch(int capacity)
    {
        int length = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, capacity));
        _table = new ulong[length];
        _tableMask = length - 1;
        _sampleSize = (int)Math.Min(int.MaxValue, 10L * Math.Max(1, capacity));
    }

    /// <summary>The estimated recent count of <paramref name="key"/>, 0 to 15.</summary>
    public int Frequency(in BlockKey key)
    {
        ulong hash = Spread(key);
        int start = (int)(hash & 3) << 2;
        int frequency = 15;
        for (int i = 0; i < 4; i++)
        {
            int offset = (start + i) << 2;
            int count = (int)((_table[IndexOf(hash, i)] >> offset) & 0xF);
            frequency = Math.Min(frequency, count);
        }

        return frequency;
    }

    /// <summary>Counts one more sighting of <paramref name="key"/>.</summary>
    public void Increment(in BlockKey key)
    {
        ulong hash = Spread(key);
        int start = (int)(hash & 3) << 2;
        bool added = false;
        for (int i = 0; i < 4; i++)
        {
            int index = IndexOf(hash, i);
            int offset = (start + i) << 2;
            ulong mask = 0xFUL << offset;
            if ((_table[index] & mask) != mask)
            {
                _table[index] += 1UL << offset;
                added = true;
            }
        }

        if (added && ++_size >= _sampleSize)
        {
            Reset();
        }
    }

    private void Reset()
    {
        int odd = 0;
        for (int i = 0; i < _table.Length; i++)
        {
            odd += BitOperations.PopCount(_table[i] & OneMask);
            _table[i] = (_table[i] >> 1) & ResetMask;
        }

        _size = Math.Max(0, (_size >> 1) - (odd >> 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int IndexOf(ulong hash, int i)
    {
        ulong h = (hash + Seeds[i]) * Seeds[i];
        h += h >> 32;
        return (int)h & _tableMask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Spread(in BlockKey key)
    {
        ulong x = key.Low ^ (key.High * 0x9E3779B97F4A7C15UL);
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        return x;
    }
}
