using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// One entry of <see cref="BlockTable"/>: all its metadata but its two keys, packed in one 64-byte record, with a column
/// view per field so callers keep indexing <c>table.Column[e]</c>: adding or evicting a block touches one or two cache
/// lines of it instead of one per column (a replay's miss used to touch about fifteen).
/// </summary>
/// <remarks>The fields an eviction reads come first, those only an add writes last.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct BlockEntry
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

    /// <summary>A field of every entry, indexed by entry.</summary>
    internal readonly struct StampColumn(BlockEntry[] entries)
    {
        public ref long this[int e] => ref entries[e].Stamp;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ParentStampColumn(BlockEntry[] entries)
    {
        public ref long this[int e] => ref entries[e].ParentStamp;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ParentEntryColumn(BlockEntry[] entries)
    {
        public ref int this[int e] => ref entries[e].ParentEntry;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct SlotColumn(BlockEntry[] entries)
    {
        public ref int this[int e] => ref entries[e].Slot;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct PinsColumn(BlockEntry[] entries)
    {
        /// <summary>Read-only: pins change through <see cref="BlockTable.AddPin"/> and <see cref="BlockTable.ReleasePin"/>, which keep <see cref="BlockTable.HeldCount"/>.</summary>
        public int this[int e] => entries[e].Pins;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct StagingColumn(BlockEntry[] entries)
    {
        public ref int this[int e] => ref entries[e].Staging;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct TierColumn(BlockEntry[] entries)
    {
        public ref sbyte this[int e] => ref entries[e].Tier;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct InFlightColumn(BlockEntry[] entries)
    {
        /// <summary>Read-only: the flag changes through <see cref="BlockTable.SetInFlight"/>, which keeps <see cref="BlockTable.HeldCount"/>.</summary>
        public bool this[int e] => entries[e].InFlight;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct LabelsColumn(BlockEntry[] entries)
    {
        public ref WorkloadLabels this[int e] => ref entries[e].Labels;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct ChildCountColumn(BlockEntry[] entries)
    {
        public ref int this[int e] => ref entries[e].ChildCount;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct DepthColumn(BlockEntry[] entries)
    {
        public ref int this[int e] => ref entries[e].Depth;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct SessionColumn(BlockEntry[] entries)
    {
        public ref long this[int e] => ref entries[e].Session;
    }

    /// <inheritdoc cref="StampColumn"/>
    internal readonly struct NextUseColumn(BlockEntry[] entries)
    {
        public ref long this[int e] => ref entries[e].NextUse;
    }
}
