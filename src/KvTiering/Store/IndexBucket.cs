using System.Runtime.InteropServices;

namespace KvTiering.Store;

/// <summary>
/// A slot of <see cref="BlockIndex"/>: the entry, and its top-tier slot so a top-tier hit reads no other per-entry
/// array. Eight bytes, read as one by <see cref="TopSlotProbe"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IndexBucket
{
    public int Entry;   // entry index + 1; 0 = empty; BlockIndex's tombstone (-1) while a removal's shift waits
    public int TopSlot; // slot + 1 while the entry lies in the top tier; 0 otherwise
}
