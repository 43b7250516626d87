using System.Diagnostics;
using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The top tier's slots as a lock-free hit reads them: each slot's version (odd while its bytes change) and owner key
/// (<see cref="SlotOwnership"/>), and the copy of a slot's payload that is kept only if the version held across it.
/// A copy is announced to the reader, so disposal waits for it.
/// </summary>
/// <remarks>
/// Why a slot's own version and owner are enough: a slot's owner is named when it is bound to its block, after its
/// bytes are complete, with its version odd (<see cref="SlotOwnership.Publish"/>); its bytes change only after
/// <see cref="Tier.TakeSlot"/> or <see cref="Tier.FreeSlot"/> made the version odd again. A lookup read before its key
/// moved names a slot that either still holds that key's bytes (a block being demoted stays readable until its slot is
/// taken again, and a block's bytes do not change while it is resident) or has another owner or an odd version. Every
/// index is checked, so a torn lookup costs a fallback, never a fault.
/// </remarks>
internal sealed class SlotCopies
{
    /// <summary>The slot named is changing, holds another block, or is outside the tier.</summary>
    public const int NotOwned = -3;

    private readonly TopTierReader _reader; // the store's version, the announcements disposal waits for
    private readonly IDirectSlotAccess _memory;
    private readonly int[] _versions;
    private readonly BlockKey[] _owners;

    public SlotCopies(TopTierReader reader, IDirectSlotAccess memory, SlotOwnership owners)
    {
        _reader = reader;
        _memory = memory;
        _versions = owners.Versions;
        _owners = owners.Owners;
    }

    /// <summary>The slot's version, read once (acquire); false for a slot outside the tier (a torn lookup, or a device that shrank its answer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadVersion(int slot, out int version)
    {
        int[] versions = _versions;
        if ((uint)slot >= (uint)versions.Length)
        {
            version = 0;
            return false;
        }

        version = Volatile.Read(ref versions[slot]);
        return true;
    }

    /// <summary>The slot's version, when it is even and the slot holds <paramref name="key"/>.</summary>
    public bool TryReadOwnedVersion(in BlockKey key, int slot, out int version)
    {
        int[] versions = _versions;
        BlockKey[] owners = _owners;
        version = 0;
        if ((uint)slot >= (uint)versions.Length || (uint)slot >= (uint)owners.Length)
        {
            return false; // absent, in a lower tier, or a probe a writer disturbed
        }

        version = Volatile.Read(ref versions[slot]);
        return (version & 1) == 0 && owners[slot].Equals(key);
    }

    /// <summary>
    /// Copies the slot's bytes; the length copied, <see cref="TopTierReader.NeedsLock"/> or <see cref="TopTierReader.Interrupted"/>. The table
    /// lookup is checked against the store's version (<see cref="TopTierReader.IsValid"/>) before the copy, the copy against the slot's own
    /// version after it: a mover's puts and promotions elsewhere in the tier do not throw a hit's copy away, only a
    /// change of this slot does. The version is read while the lookup is still valid, so the slot then held the key's
    /// bytes; a slot unmapped, freed and taken again before that read was unmapped inside an odd window the lookup's
    /// check sees. A return value rather than an out parameter keeps the caller's frame free of address-taken locals.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int TryCopy(int slot, long version, Span<byte> destination)
    {
        if (!TryReadVersion(slot, out int slotVersion))
        {
            return _reader.IsValid(version) ? TopTierReader.NeedsLock : TopTierReader.Interrupted;
        }

        return _reader.IsValid(version) ? CopyAnnounced(slot, slotVersion, destination, declined: TopTierReader.NeedsLock) : TopTierReader.Interrupted;
    }

    /// <summary>A slot's copy announced to disposal; <paramref name="declined"/> once the store is disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyAnnounced(int slot, int slotVersion, Span<byte> destination, int declined)
    {
        // Announce the copy before checking for disposal; MarkDisposed sets the flag before waiting for announcements
        // to drain, so either this reader sees the flag or Dispose sees the reader (both sides are full fences).
        _reader.EnterReader();
        try
        {
            return _reader.IsDisposed ? declined : Copy(slot, slotVersion, destination, declined);
        }
        finally
        {
            _reader.ExitReader();
        }
    }

    /// <summary>
    /// The slot's bytes into <paramref name="destination"/> while the slot's version stays <paramref name="slotVersion"/>.
    /// The length copied; <see cref="TopTierReader.Interrupted"/> when the slot changed under the copy (nothing stale is
    /// left behind); <paramref name="declined"/> when the destination is short (the caller's fallback then reports it with
    /// the right numbers). Runs inside the reader's announcement (<see cref="CopyAnnounced"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Copy(int slot, int slotVersion, Span<byte> destination, int declined)
    {
        int[] versions = _versions;
        ReadOnlySpan<byte> payload = _memory.Payload(slot);
        if ((uint)payload.Length > (uint)destination.Length || (uint)payload.Length > (uint)_memory.SlotBytes)
        {
            return SeqLock.IsUnchanged(ref versions[slot], slotVersion) ? declined : TopTierReader.Interrupted;
        }

        CopyTimed(payload, destination);
        if (!SeqLock.IsUnchanged(ref versions[slot], slotVersion))
        {
            // The slot changed under the copy: it may be torn. Leave no stale bytes behind in case the locked path then misses.
            destination[..payload.Length].Clear();
            return TopTierReader.Interrupted;
        }

        return payload.Length;
    }

    /// <summary>A lock-free payload copy; timed only when the contention program asks (<see cref="LookupTrace.TimesCopies"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyTimed(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        long started = LookupTrace.TimesCopies ? Stopwatch.GetTimestamp() : 0;
        payload.CopyTo(destination);
        if (LookupTrace.TimesCopies)
        {
            LookupTrace.AddCopy(Stopwatch.GetTimestamp() - started);
        }
    }
}
