using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Per top-tier slot, a version and the key whose bytes the slot holds: what a lock-free hit validates its copy
/// against instead of the store-wide <see cref="SeqLock"/>. The version is odd while the slot's bytes or owner may be
/// changing (from <see cref="Tier.TakeSlot"/> or <see cref="Tier.FreeSlot"/> until the slot is bound to its next
/// block) and even while the bytes are the owner's, complete and unchanging. A hit reads the version (even), the
/// owner (its key), copies, and trusts the copy if the version still reads the same; the table's bucket that named
/// the slot is only a hint.
/// </summary>
/// <remarks>
/// A seqlock per slot (Lameter 2005, as <see cref="SeqLock"/>), with the owner key as the data it guards, so a hit
/// beside a writer is thrown away only when its own slot changed, not whenever the writer changed the table
/// elsewhere (docs/architecture.md, "Slot owners"). Writers run under the store's lock (or own the slot, as the
/// write-behind worker owns a reserved one), so no two change one slot at once; the compare-exchange keeps the parity
/// right regardless.
/// </remarks>
internal sealed class SlotOwnership
{
    public SlotOwnership(int slots)
    {
        Versions = new int[slots];
        Owners = new BlockKey[slots];
    }

    /// <summary>Per slot: odd while changing, even while the bytes are <see cref="Owners"/>' own.</summary>
    public int[] Versions { get; }

    /// <summary>Per slot: the key whose complete bytes the slot holds while its version is even.</summary>
    public BlockKey[] Owners { get; }

    /// <summary>
    /// Makes the slot's version odd, and different from any value a hit may have read, before its bytes or owner
    /// change (a full fence: the writes that follow stay after it).
    /// </summary>
    public void BeginChange(int slot)
    {
        ref int version = ref Versions[slot];
        int seen;
        do
        {
            seen = Volatile.Read(ref version);
        }
        while (Interlocked.CompareExchange(ref version, seen + ((seen & 1) == 0 ? 1 : 2), seen) != seen);
    }

    /// <summary>
    /// Names <paramref name="owner"/> the slot's owner once its bytes are complete (when the slot is bound to its
    /// entry) and makes the version even, publishing the owner with release semantics.
    /// </summary>
    public void Publish(int slot, in BlockKey owner)
    {
        BeginChange(slot);
        Owners[slot] = owner;
        Volatile.Write(ref Versions[slot], Versions[slot] + 1);
    }
}
