using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Maps a trace's raw hash ids to dense ids. Small non-negative ids (WEKA numbers each session's blocks 1, 2, 3…)
/// go through a flat array, the rest through a dictionary: the array saves most of the parse time a dictionary
/// probe per reference costs.
/// </summary>
internal sealed class LocalIdMap
{
    private const long FlatLimit = 1 << 24;

    private int[] _flat = [];
    private Dictionary<long, int>? _other;

    /// <summary>The dense id of <paramref name="id"/>, assigning <paramref name="next"/> (then incrementing it) when new.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(long id, ref int next)
    {
        if ((ulong)id < (ulong)_flat.Length)
        {
            ref int slot = ref _flat[id];
            if (slot == 0)
            {
                slot = ++next;
            }

            // Slots hold id + 1 so a fresh (zeroed) array needs no fill.
            return slot - 1;
        }

        return GetOrAddSlow(id, ref next);
    }

    private int GetOrAddSlow(long id, ref int next)
    {
        // Grow the array only while ids stay dense enough that it is not mostly empty.
        if ((ulong)id < FlatLimit && id < (16L * next) + 4096)
        {
            int size = (int)Math.Min(FlatLimit, Math.Max(1024, Math.Max(2L * _flat.Length, id + 1)));
            Array.Resize(ref _flat, size);
            MoveIntoFlat();
            return GetOrAdd(id, ref next);
        }

        _other ??= [];
        ref int dense = ref CollectionsMarshal.GetValueRefOrAddDefault(_other, id, out bool exists);
        if (!exists)
        {
            dense = next++;
        }

        return dense;
    }

    /// <summary>Moves dictionary entries the grown array now covers, so each id lives in one place.</summary>
    private void MoveIntoFlat()
    {
        if (_other is null)
        {
            return;
        }

        foreach ((long id, int dense) in _other)
        {
            if ((ulong)id < (ulong)_flat.Length)
            {
                _flat[id] = dense + 1;
                _other.Remove(id);
            }
        }
    }
}
