using System.Diagnostics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The lock-free payload copies of top-tier hits: validated against the slot's own version after a lookup the
/// store-wide <see cref="SeqLock"/> checked (<see cref="TryCopy"/>, queued-hit policies), or against the slot's owner
/// alone, the lookup only a hint (<see cref="TryOwnedHit"/>, reference-bit policies): a mover's metadata changes
/// elsewhere in the table then never send a hit round again.
/// </summary>
internal sealed partial class TopTierReader
{
    private const int NotOwned = -3; // the slot named is changing or holds another block: the store-wide path decides

    /// <summary>
    /// A hit whose lookup is only a hint: the table's bucket names a slot (read without the store's version), and the
    /// slot's own version and owner key decide. The bytes copied are <paramref name="key"/>'s if, with the version
    /// even before and unchanged after the copy, the owner read between them was the key. Returns the length copied,
    /// <see cref="Interrupted"/> (the slot changed under the copy), or <see cref="NotOwned"/>.
    /// </summary>
    /// <remarks>
    /// Why the hint may be stale and the answer still right: a slot's owner is named when it is bound to its block,
    /// after its bytes are complete, with its version odd (<see cref="SlotOwnership.Publish"/>); its bytes change only
    /// after <see cref="Tier.TakeSlot"/> or <see cref="Tier.FreeSlot"/> made the version odd again. A bucket read
    /// before its key moved names a slot that either still holds that key's bytes (a block being demoted stays
    /// readable until its slot is taken again, and a block's bytes do not change while it is resident) or has another
    /// owner or an odd version. The probe is bounded by the table's size and every index is checked, so a torn bucket
    /// costs a fallback, never a fault. Used for top tiers with reference bits, where a hit needs no entry number; a
    /// queued-hit policy keeps the store-wide check, since its queue names entries.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int TryOwnedHit(in BlockKey key, Span<byte> destination) => TryOwnedCopy(key, _topSlots.Find(key), destination);

    /// <summary>
    /// <see cref="TryOwnedHit"/> with the slot hint given: what the table's bucket named, however stale (tests pass
    /// hints no bucket holds now).
    /// </summary>
    internal int TryOwnedCopy(in BlockKey key, int slot, Span<byte> destination)
    {
        int[] versions = _slotVersions!;
        BlockKey[] owners = _slotOwners!;
        if ((uint)slot >= (uint)versions.Length || (uint)slot >= (uint)owners.Length)
        {
            return NotOwned; // absent, in a lower tier, or a probe a writer disturbed
        }

        int version = Volatile.Read(ref versions[slot]);
        if ((version & 1) != 0 || !owners[slot].Equals(key))
        {
            return NotOwned;
        }

        int read = CopyUnchanged(slot, version, destination, declined: NotOwned);
        if (read >= 0)
        {
            MarkReferenced(_referenceBits!, slot);
            _lockFreeCounts.AddHit(read);
        }

        return read;
    }

    /// <summary>
    /// Copies the slot's bytes; the length copied, <see cref="NeedsLock"/> or <see cref="Interrupted"/>. The table
    /// lookup is checked against the store's <see cref="SeqLock"/> before the copy, the copy against the slot's own
    /// version after it (<see cref="Tier.SlotOwners"/>): a mover's puts and promotions elsewhere in the tier no longer
    /// throw a hit's copy away, only a change of this slot does.
    /// </summary>
    /// <remarks>
    /// Why this is enough: the version is read while the lookup is still valid, so the slot then held the key's bytes
    /// (a slot is mapped only after its write completes); its bytes change only after <see cref="Tier.TakeSlot"/> or
    /// <see cref="Tier.FreeSlot"/>, both of which bump the version first; a slot unmapped, freed and taken again
    /// before the version read was unmapped inside an odd window the lookup's check sees. A return value rather than
    /// an out parameter keeps the caller's frame free of address-taken locals.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int TryCopy(int slot, long version, Span<byte> destination)
    {
        int[] versions = _slotVersions!;
        if ((uint)slot >= (uint)versions.Length)
        {
            return _seq.IsValid(version) ? NeedsLock : Interrupted; // a torn lookup, or a device that shrank its answer
        }

        int slotVersion = Volatile.Read(ref versions[slot]);
        if (!_seq.IsValid(version))
        {
            return Interrupted;
        }

        return CopyUnchanged(slot, slotVersion, destination, declined: NeedsLock);
    }

    /// <summary>
    /// The copy both hits share: the slot's bytes into <paramref name="destination"/> while the slot's version stays
    /// <paramref name="slotVersion"/>. The length copied; <see cref="Interrupted"/> when the slot changed under the
    /// copy (nothing stale is left behind); <paramref name="declined"/> when the store is disposed or the destination
    /// is short (the caller's fallback then reports it with the right numbers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CopyUnchanged(int slot, int slotVersion, Span<byte> destination, int declined)
    {
        IDirectSlotAccess memory = _direct!;
        int[] versions = _slotVersions!;

        // Announce the copy before checking for disposal; MarkDisposed sets the flag before waiting for announcements
        // to drain, so either this reader sees the flag or Dispose sees the reader (both sides are full fences).
        _seq.EnterReader();
        try
        {
            if (_disposed)
            {
                return declined;
            }

            ReadOnlySpan<byte> payload = memory.Payload(slot);
            if ((uint)payload.Length > (uint)destination.Length || (uint)payload.Length > (uint)memory.SlotBytes)
            {
                return SeqLock.IsUnchanged(ref versions[slot], slotVersion) ? declined : Interrupted;
            }

            Copy(payload, destination);
            if (!SeqLock.IsUnchanged(ref versions[slot], slotVersion))
            {
                // The slot changed under the copy: it may be torn. Leave no stale bytes behind in case the locked path then misses.
                destination[..payload.Length].Clear();
                return Interrupted;
            }

            return payload.Length;
        }
        finally
        {
            _seq.ExitReader();
        }
    }

    /// <summary>A lock-free payload copy; timed only when the contention program asks (<see cref="LookupTrace.TimesCopies"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        long started = LookupTrace.TimesCopies ? Stopwatch.GetTimestamp() : 0;
        payload.CopyTo(destination);
        if (LookupTrace.TimesCopies)
        {
            LookupTrace.AddCopy(Stopwatch.GetTimestamp() - started);
        }
    }
}
