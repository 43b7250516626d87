using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// Which of <see cref="BlockTable"/>'s entries may not be evicted or moved: their user pins and in-flight marks, kept in
/// the entries' records, and how many entries hold either (<see cref="Count"/>), so that while none does (always, in a
/// replay) the table answers "evictable" and frees an entry without loading its record.
/// </summary>
/// <remarks>
/// A mutable struct held in place by its one owner (<see cref="BlockTable"/>'s field, never copied): the count is read
/// from the table's object, as when it was the table's own field.
/// </remarks>
internal struct EntryHolds
{
    private readonly BlockEntry[] _entries;
    private int _count;

    /// <param name="entries">The table's entry records.</param>
    public EntryHolds(BlockEntry[] entries) => _entries = entries;

    /// <summary>Entries now pinned or in flight, counted once for each of the two.</summary>
    public readonly int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count;
    }

    /// <summary>Whether entry <paramref name="e"/> may be evicted or moved: no user pin, not in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool IsFree(int e)
    {
        if (_count == 0)
        {
            return true; // nothing pinned or in flight (always, in a replay): the record's line is not loaded
        }

        ref BlockEntry entry = ref _entries[e];
        return entry.Pins == 0 && !entry.InFlight;
    }

    /// <summary>Marks entry <paramref name="e"/> as being moved by the store (or no longer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetInFlight(int e, bool value)
    {
        ref BlockEntry entry = ref _entries[e];
        if (entry.InFlight != value)
        {
            entry.InFlight = value;
            _count += value ? 1 : -1;
        }
    }

    /// <summary>Adds a user pin to entry <paramref name="e"/>; returns its pins now.</summary>
    public int AddPin(int e)
    {
        ref BlockEntry entry = ref _entries[e];
        if (entry.Pins++ == 0)
        {
            _count++;
        }

        return entry.Pins;
    }

    /// <summary>Releases one user pin of entry <paramref name="e"/>, which must hold one; returns its pins now.</summary>
    public int ReleasePin(int e)
    {
        ref BlockEntry entry = ref _entries[e];
        if (--entry.Pins == 0)
        {
            _count--;
        }

        return entry.Pins;
    }

    /// <summary>Takes a removed entry's in-flight mark and pins out of <see cref="Count"/>, its pins cleared.</summary>
    /// <remarks>Only while something is held: otherwise a removal only stores to the victim's record, and need not wait for its line.</remarks>
    public void Release(ref BlockEntry entry)
    {
        if (entry.InFlight)
        {
            _count--;
        }

        if (entry.Pins != 0)
        {
            _count--; // a removed block's pins go with it (the callers give them back to the tier's budget)
            entry.Pins = 0;
        }
    }
}
