using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Eviction;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Each entry's metadata but its two keys, packed in one 64-byte record, and a column view per field so callers
/// keep indexing <c>table.Column[e]</c>: adding or evicting a block touches one or two cache lines of it instead of
/// one per column (a replay's miss used to touch about fifteen).
/// </summary>
internal sealed partial class BlockTable
{
    private readonly Entry[] _entries;
    private int _held; // HeldCount

    /// <summary>
    /// Entries now pinned or in flight, counted once for each of the two (a replay holds none): while it is zero every
    /// entry is evictable: <see cref="IsEvictable(int)"/> (and <see cref="TierView.IsEvictable"/>) answer and
    /// <see cref="Remove(int)"/> frees without loading the entry's record.
    /// </summary>
    public int HeldCount => _held;

    /// <summary>Marks entry <paramref name="e"/> as being moved by the store (or no longer), keeping <see cref="HeldCount"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetInFlight(int e, bool value)
    {
        ref Entry entry = ref _entries[e];
        if (entry.InFlight != value)
        {
            entry.InFlight = value;
            _held += value ? 1 : -1;
        }
    }

    /// <summary>Adds a user pin to entry <paramref name="e"/>; returns its pins now.</summary>
    public int AddPin(int e)
    {
        ref Entry entry = ref _entries[e];
        if (entry.Pins++ == 0)
        {
            _held++;
        }

        return entry.Pins;
    }

    /// <summary>Releases one user pin of entry <paramref name="e"/>, which must hold one; returns its pins now.</summary>
    public int ReleasePin(int e)
    {
        ref Entry entry = ref _entries[e];
        if (--entry.Pins == 0)
        {
            _held--;
        }

        return entry.Pins;
    }

    /// <summary>Takes a removed entry's in-flight mark and pins out of <see cref="HeldCount"/>.</summary>
    /// <remarks>Only while something is held: otherwise a removal only stores to the victim's record, and need not wait for its line.</remarks>
    private void Unhold(ref Entry entry)
    {
        if (entry.InFlight)
        {
            _held--;
        }

        if (entry.Pins != 0)
        {
            _held--; // a removed block's pins go with it (the callers give them back to the tier's budget)
            entry.Pins = 0;
        }
    }

    /// <summary>One entry's record; the fields an eviction reads come first, those only an add writes last.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Entry
    {
        public long Stamp;          // incarnation; 0 = free
        public long ParentStamp;    // the parent's stamp at insert, so a recycled entry is not mistaken for it
        public int ParentEntry;     // the parent's entry when it was resident at insert; -1 otherwise
        public int Slot;
        public int Pins;            // user pins
        public int Staging;         // write-behind buffer holding the bytes until the tier's write lands; -1 none
        public sbyte Tier;
        public bool InFlight;       // being moved by the store right now
        public WorkloadLabels Labels;
        public int ChildCount;      // resident children that counted themselves in at insert
        public int Depth;
        public long Session;
        public long NextUse;
    }

    /// <summary>A field of every entry, indexed by entry.</summary>
    internal readonly struct StampColumn(Entry[] entries)
    {
        public ref long this[int e] => ref entries[e].Stamp;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ParentStampColumn(Entry[] entries)
    {
        public ref long this[int e] => ref entries[e].ParentStamp;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ParentEntryColumn(Entry[] entries)
    {
        public ref int this[int e] => ref entries[e].ParentEntry;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct SlotColumn(Entry[] entries)
    {
        public ref int this[int e] => ref entries[e].Slot;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct PinsColumn(Entry[] entries)
    {
        /// <summary>Read-only: pins change through <see cref="BlockTable.AddPin"/> and <see cref="BlockTable.ReleasePin"/>, which keep <see cref="BlockTable.HeldCount"/>.</summary>
        public int this[int e] => entries[e].Pins;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct StagingColumn(Entry[] entries)
    {
        public ref int this[int e] => ref entries[e].Staging;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct TierColumn(Entry[] entries)
    {
        public ref sbyte this[int e] => ref entries[e].Tier;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct InFlightColumn(Entry[] entries)
    {
        /// <summary>Read-only: the flag changes through <see cref="BlockTable.SetInFlight"/>, which keeps <see cref="BlockTable.HeldCount"/>.</summary>
        public bool this[int e] => entries[e].InFlight;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct LabelsColumn(Entry[] entries)
    {
        public ref WorkloadLabels this[int e] => ref entries[e].Labels;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ChildCountColumn(Entry[] entries)
    {
        public ref int this[int e] => ref entries[e].ChildCount;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct DepthColumn(Entry[] entries)
    {
        public ref int this[int e] => ref entries[e].Depth;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct SessionColumn(Entry[] entries)
    {
        public ref long this[int e] => ref entries[e].Session;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct NextUseColumn(Entry[] entries)
    {
        public ref long this[int e] => ref entries[e].NextUse;
    }
}
