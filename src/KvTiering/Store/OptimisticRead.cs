using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The top tier's lock-free lookup where the reference-bit hit (<see cref="TopTierReader.TryBit"/>) does not answer
/// it: a payload copied out of its slot (checked by the store's seqlock, or by the slot's own version and owner,
/// <see cref="SlotCopies"/>), a hit queued for a policy that must see every access (<see cref="QueuedHits"/>), or a
/// final miss; the retry while a writer is mid-change. Answers as <see cref="TopTierReader"/>'s constants say;
/// <see cref="TopTierReader.NeedsLock"/> sends the caller to the locked path (<see cref="ReadCascade"/>).
/// </summary>
/// <remarks>
/// The seqlock and the striped counts stay in the reader's object, used in place through its inlined members, so
/// the reference-bit hit keeps them one load away; this path reaches them through one more, and probes the index
/// through its own <see cref="TopSlotProbe"/>, one fewer than through the table.
/// </remarks>
internal sealed class OptimisticRead
{
    private const int MaxTries = 32; // SpinWait yields the core after its first ten spins

    private readonly TopTierReader _reader;       // the seqlock, the striped counts, the final-miss rule
    private readonly TopSlotProbe _topSlots;
    private readonly byte[]? _referenceBits;      // the top tier's reference bits, when its policy keeps them
    private readonly QueuedHits _queued;
    private readonly SlotCopies? _copies;         // the top tier's slots in place: hits copy payloads lock-free
    private readonly bool _readsTable;            // the top tier answers lock-free at all (payloads in place, or none)
    private readonly bool _ownedHits;             // hits validate against their slot's owner, not the store (TryOwnedCopy)

    /// <param name="reader">The reader whose seqlock and counts this path uses.</param>
    /// <param name="table">The block table (its index's arrays are held here).</param>
    /// <param name="top">The top tier; a payload tier with direct slots gets its slot owners here.</param>
    /// <param name="queued">Where hits a policy must see are queued.</param>
    /// <param name="payloadFree">Whether the top tier keeps no payload bytes (metadata-only, or a device without any).</param>
    public OptimisticRead(TopTierReader reader, BlockTable table, Tier top, QueuedHits queued, bool payloadFree)
    {
        _reader = reader;
        _topSlots = table.TopSlots;
        _referenceBits = top.ReferenceBits;
        _queued = queued;

        // What the top tier's device declares it can do (capabilities, never concrete types).
        if (!payloadFree && top.Direct is { } direct)
        {
            _copies = new SlotCopies(reader, direct, top.SlotOwners = new SlotOwnership(direct.SlotCount));
            _ownedHits = _referenceBits is not null;
        }

        _readsTable = payloadFree || _copies is not null;
    }

    /// <summary>
    /// A top-tier hit, or a miss, without the lock. A miss is final only when the probe met an empty bucket of a
    /// table no writer touched meanwhile (the table indexes every tier, so the block is nowhere) and no remote tier
    /// could have it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryGet(in BlockKey key, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!_readsTable)
        {
            return TopTierReader.NeedsLock;
        }

        if (_ownedHits)
        {
            int owned = TryOwnedHit(key, destination);
            if (owned >= 0)
            {
                bytesWritten = owned;
                return TopTierReader.Hit;
            }

            if (owned == TopTierReader.Interrupted)
            {
                return TopTierReader.Interrupted;
            }
        }

        TopTierReader reader = _reader;
        if (!reader.TryBeginRead(out long version))
        {
            return TopTierReader.Interrupted;
        }

        int e = _topSlots.FindOptimistic(key, out int slot);
        if (e < 0)
        {
            return e == -1 ? reader.MissOptimistic(version) : TopTierReader.Interrupted;
        }

        if (slot < 0)
        {
            return TopTierReader.NeedsLock;
        }

        int read = 0;
        if (_copies is not null)
        {
            if ((read = _copies.TryCopy(slot, version, destination)) < 0)
            {
                return read;
            }
        }
        else if (!reader.IsValid(version))
        {
            return TopTierReader.Interrupted;
        }

        if (_referenceBits is { } bits)
        {
            TopTierReader.MarkReferenced(bits, slot);
            reader.CountHit(read);
        }
        else if (!_queued.TryAdd(key, e, version, read))
        {
            return TopTierReader.NeedsLock;
        }

        bytesWritten = read;
        return TopTierReader.Hit;
    }

    /// <summary>
    /// Tries the lock-free read again while a writer is mid-change. Writers keep the version odd only while metadata
    /// changes (byte copies and device I/O run with it even), so the window is short; falling back to the lock instead
    /// would queue the hit behind whole puts, and the lock is not fair: a writer in a loop starved hits for
    /// milliseconds in the contention benchmark.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Retry(in BlockKey key, Span<byte> destination, out int bytesWritten)
    {
        var spin = new SpinWait();
        int outcome;
        int tries = 0;
        do
        {
            spin.SpinOnce(sleep1Threshold: -1);
            outcome = TryGet(key, destination, out bytesWritten);
            tries++;
        }
        while (outcome == TopTierReader.Interrupted && tries < MaxTries);

        LookupTrace.AddRetries(tries);
        return outcome;
    }

    /// <summary>
    /// A hit whose lookup is only a hint: the table's bucket names a slot (read without the store's version), and the
    /// slot's own version and owner key decide (<see cref="SlotCopies"/> says why that is enough). Used for top tiers
    /// with reference bits, where a hit needs no entry number; a queued-hit policy keeps the store-wide check, since
    /// its queue names entries.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int TryOwnedHit(in BlockKey key, Span<byte> destination) => TryOwnedCopy(key, _topSlots.Find(key), destination);

    /// <summary>
    /// <see cref="TryOwnedHit"/> with the slot hint given, however stale (tests pass hints no bucket holds now): the
    /// length copied, <see cref="TopTierReader.Interrupted"/> (the slot changed under the copy), or <see cref="SlotCopies.NotOwned"/>.
    /// </summary>
    internal int TryOwnedCopy(in BlockKey key, int slot, Span<byte> destination)
    {
        if (!_copies!.TryReadOwnedVersion(key, slot, out int version))
        {
            return SlotCopies.NotOwned;
        }

        int read = _copies.CopyAnnounced(slot, version, destination, declined: SlotCopies.NotOwned);
        if (read >= 0)
        {
            TopTierReader.MarkReferenced(_referenceBits!, slot);
            _reader.CountHit(read);
        }

        return read;
    }
}
