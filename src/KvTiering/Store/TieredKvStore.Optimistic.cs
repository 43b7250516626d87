using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

/// <summary>
/// The lock-free read path. A hit in the top tier is the common case of a serving store and needs neither a
/// decision nor a move, so it runs without the lock: it reads the table and copies the bytes optimistically, checks a
/// sequence counter that every writer bumps (a seqlock), and queues the access for the policies, which see it, in
/// order, the next time anyone takes the lock. Anything else (a miss, a lower tier, a torn read, a full queue) falls
/// back to the locked path, which gives the same answer the lock-free one would have.
/// </summary>
public sealed partial class TieredKvStore
{
    private const int AccessRingCapacity = 1024;
    private const int MaxOptimisticTries = 32; // SpinWait yields the core after its first ten spins

    private readonly AccessRing _accesses = new(AccessRingCapacity);
    private readonly QueuedHit[] _drainHits = new QueuedHit[AccessRingCapacity];
    private readonly int[] _drainSlots = new int[AccessRingCapacity];
    private readonly LockFreeCounts _lockFreeCounts = new();
    private readonly OptimisticReads _optimistic;
    private readonly byte[]? _topReferenceBits; // the top tier's reference bits, when its policy keeps them
    private readonly bool _bitHits;             // metadata-only top tier with reference bits: TryBitOptimistic
    private SeqLock _seq;            // lock-free readers validate against it; see SeqLock

    /// <summary>What the top tier lets the lock-free path do.</summary>
    private enum OptimisticReads : byte
    {
        None,
        MetadataOnly,
        Memory,
    }

    /// <summary>What the top tier's device declares it can do (capabilities, never concrete types).</summary>
    private OptimisticReads ChooseOptimisticReads() => _tiers[0].Device switch
    {
        _ when MetadataOnly => OptimisticReads.MetadataOnly,
        { StoresPayload: false } => OptimisticReads.MetadataOnly,
        IDirectSlotAccess => OptimisticReads.Memory,
        _ => OptimisticReads.None,
    };

    /// <summary>What <see cref="TryGetOptimistic"/> found.</summary>
    private const int OptimisticHit = 1;
    private const int OptimisticMiss = 0;         // absent from every tier: a final answer, no lock needed
    private const int OptimisticNeedsLock = -1;   // a lower tier, a full queue, a remote tier to ask: take the lock
    private const int OptimisticInterrupted = -2; // a writer ran meanwhile: worth another lock-free try

    /// <summary>
    /// A top-tier hit, or a miss, without the lock. A miss is final only when the probe met an empty bucket of a
    /// table no writer touched meanwhile (the table indexes every tier, so the block is nowhere) and no remote tier
    /// could have it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TryGetOptimistic(in BlockKey key, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (_optimistic == OptimisticReads.None)
        {
            return OptimisticNeedsLock;
        }

        if (!TryBeginOptimisticRead(out long version))
        {
            return OptimisticInterrupted;
        }

        int e = _table.FindOptimistic(key, out int slot);
        if (e < 0)
        {
            return e == -1 ? MissOptimistic(version) : OptimisticInterrupted;
        }

        if (slot < 0)
        {
            return OptimisticNeedsLock;
        }

        int read = 0;
        if (_optimistic == OptimisticReads.Memory && (read = TryCopyOptimistic(slot, destination)) < 0)
        {
            return OptimisticNeedsLock;
        }

        if (!IsOptimisticReadValid(version))
        {
            // A writer ran: the copy may be torn. Leave no stale bytes behind in case the locked path then misses.
            destination[..read].Clear();
            return OptimisticInterrupted;
        }

        if (_topReferenceBits is { } bits)
        {
            MarkReferenced(bits, slot);
            _lockFreeCounts.AddHit(read);
        }
        else if (!_accesses.TryAdd(key, e, version, read))
        {
            return OptimisticNeedsLock;
        }

        bytesWritten = read;
        return OptimisticHit;
    }

    /// <summary>
    /// The commonest answers of a metadata-only store whose top tier keeps reference bits, a top-tier hit and a
    /// final miss, with no call on their way, so the JIT gives them no frame: probe, validate, set the bit, count.
    /// <see cref="OptimisticNeedsLock"/> sends the caller down the general path, which answers everything.
    /// </summary>
    /// <param name="key">The key looked up.</param>
    /// <param name="bytesWritten">0 (a metadata-only hit copies nothing); its address (the caller's local, as a rule)
    /// picks the counter stripe, which saves this path a local of its own whose address would cost it a frame.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TryBitOptimistic(in BlockKey key, ref int bytesWritten)
    {
        long version = _seq.Version;
        int slot = _table.FindTopSlotOptimistic(key);
        if ((version & 1) != 0 || slot < -1 || !IsOptimisticReadValid(version))
        {
            return OptimisticNeedsLock;
        }

        if (slot < 0)
        {
            if (_remoteTier is not null)
            {
                return OptimisticNeedsLock;
            }

            _lockFreeCounts.AddMiss(ref bytesWritten);
            return OptimisticMiss;
        }

        MarkReferenced(_topReferenceBits!, slot);
        _lockFreeCounts.AddHit(ref bytesWritten);
        return OptimisticHit;
    }

    /// <summary>
    /// A put of a block already in a reference-bit top tier, without the lock, when the locked path would change
    /// nothing but the bit: the context it carries (session, labels, next use) is what the entry holds already. Such
    /// re-puts are common (every request re-offers its prefix) and would otherwise queue behind inserts on the lock.
    /// </summary>
    private bool TryTouchResidentOptimistic(in BlockKey key, in BlockContext context)
    {
        long version = _seq.Version;
        BlockTable table = _table;
        int e = table.FindOptimistic(key, out int slot);
        if ((version & 1) != 0 || (e | slot) < 0
            || table.NextUse[e] != context.NextUse
            || (context.Session != 0 && table.Session[e] != context.Session)
            || (!context.Labels.IsUnlabeled && !table.Labels[e].Equals(context.Labels))
            || !IsOptimisticReadValid(version))
        {
            return false;
        }

        MarkReferenced(_topReferenceBits!, slot);
        _lockFreeCounts.AddPut();
        return true;
    }

    /// <summary>
    /// Tells the top tier's policy, which only wants "used since it last looked", that the slot was used: sets its bit
    /// unless set already, so a hot block's line is not dirtied (and taken from other cores' caches) on every hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MarkReferenced(byte[] bits, int slot)
    {
        if (bits[slot] == 0)
        {
            bits[slot] = 1;
        }
    }

    /// <summary>A probe that met an empty bucket: a final miss if no writer ran and no remote tier could have it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int MissOptimistic(long version)
    {
        if (_remoteTier is not null)
        {
            return OptimisticNeedsLock;
        }

        if (!IsOptimisticReadValid(version))
        {
            return OptimisticInterrupted;
        }

        _lockFreeCounts.AddMiss();
        return OptimisticMiss;
    }

    /// <summary>
    /// Tries the lock-free read again while a writer is mid-change. Writers keep the version odd only while metadata
    /// changes (byte copies and device I/O run with it even), so the window is short; falling back to the lock instead
    /// would queue the hit behind whole puts, and the lock is not fair: a writer in a loop starved hits for
    /// milliseconds in the contention benchmark.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RetryOptimistic(in BlockKey key, Span<byte> destination, out int bytesWritten)
    {
        var spin = new SpinWait();
        int outcome;
        int tries = 0;
        do
        {
            spin.SpinOnce(sleep1Threshold: -1);
            outcome = TryGetOptimistic(key, destination, out bytesWritten);
        }
        while (outcome == OptimisticInterrupted && ++tries < MaxOptimisticTries);

        return outcome;
    }

    /// <summary>
    /// A prefix match without the lock (it moves nothing and tells no policy, so only the table must hold still);
    /// false means "take the locked path": a writer ran, or the match may continue into a remote tier.
    /// </summary>
    private bool TryMatchPrefixOptimistic(ReadOnlySpan<BlockKey> keys, Span<int> tiers, out PrefixMatch match)
    {
        match = default;
        if (!TryBeginOptimisticRead(out long version))
        {
            return false;
        }

        BlockTable table = _table;
        int i = 0;
        for (; i < keys.Length; i++)
        {
            int e = table.FindOptimistic(keys[i]);
            if (e < 0)
            {
                if (e == -2 || _remoteTier is not null)
                {
                    return false;
                }

                break;
            }

            int tier = table.Tier[e];
            if ((uint)tier >= (uint)_tiers.Length)
            {
                return false; // an entry being recycled under us; the version check would reject it anyway
            }

            match.Count(tier);
            if (i < tiers.Length)
            {
                tiers[i] = tier;
            }
        }

        match.Blocks = i;
        return IsOptimisticReadValid(version);
    }

    /// <summary>The tier holding <paramref name="key"/> (or -1) without the lock; false means "take the locked path".</summary>
    private bool TryTierOfOptimistic(in BlockKey key, out int tier)
    {
        tier = -1;
        if (!TryBeginOptimisticRead(out long version))
        {
            return false;
        }

        int e = _table.FindOptimistic(key);
        if (e == -2)
        {
            return false;
        }

        tier = e < 0 ? -1 : _table.Tier[e];
        return IsOptimisticReadValid(version);
    }

    /// <summary>Starts a lock-free read at the current version; false while a writer is mid-change (odd version).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryBeginOptimisticRead(out long version) => _seq.TryBeginRead(out version);

    /// <summary>Whether no writer ran since <see cref="TryBeginOptimisticRead"/> returned <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsOptimisticReadValid(long version) => _seq.IsValid(version);

    /// <summary>Copies the slot's bytes; the length copied, or -1 for "take the locked path".</summary>
    /// <remarks>A return value rather than an out parameter keeps the caller's frame free of address-taken locals.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int TryCopyOptimistic(int slot, Span<byte> destination)
    {
        IDirectSlotAccess memory = _tiers[0].Direct!;
        if ((uint)slot >= (uint)memory.SlotCount)
        {
            return -1;
        }

        // Announce the copy before checking for disposal; Dispose sets the flag before waiting for announcements to
        // drain, so either this reader sees the flag or Dispose sees the reader (both sides are full fences).
        _seq.EnterReader();
        try
        {
            if (_disposed)
            {
                return -1;
            }

            ReadOnlySpan<byte> payload = memory.Payload(slot);
            if ((uint)payload.Length > (uint)destination.Length || (uint)payload.Length > (uint)memory.SlotBytes)
            {
                return -1; // the locked path reports a short destination with the right numbers
            }

            payload.CopyTo(destination);
            return payload.Length;
        }
        finally
        {
            _seq.ExitReader();
        }
    }

    /// <summary>Takes the lock for a change lock-free readers must not see half done.</summary>
    private WriteScope EnterWrite() => new(this);

    /// <summary>Marks the start of a change (odd version).</summary>
    private void BeginWrite() => _seq.BeginWrite();

    /// <summary>Marks the end of a change (even version).</summary>
    private void EndWrite() => _seq.EndWrite();

    /// <summary>Tells the policies about every queued lock-free hit. Call under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DrainAccesses()
    {
        if (!_accesses.IsEmpty)
        {
            DrainAccessesSlow();
        }
    }

    /// <summary>
    /// Books each queued hit as the locked path would have (the same additions in the same order, in registers) and
    /// hands the policy the slots of those whose block is still the one that was hit and still in the top tier:
    /// certain when no writer ran since the read, checked by key otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DrainAccessesSlow()
    {
        Span<QueuedHit> hits = _drainHits.AsSpan(0, _accesses.Drain(_drainHits));
        Tier top = _tiers[0];
        _counters.QueuedHits(top, hits);
        BlockTable table = _table;
        int[] slots = _drainSlots;
        long version = _seq.Version;
        int live = 0;
        foreach (ref readonly QueuedHit hit in hits)
        {
            int e = hit.Entry;
            if (hit.Version == version || (table.Keys[e].Equals(hit.Key) && table.Stamps[e] != 0 && table.Tier[e] == 0))
            {
                slots[live++] = table.Slot[e];
            }
        }

        // The policies see the batch at drain time; one clock reading serves it all.
        _clock.BeginBatch();
        try
        {
            top.OnAccessMany(slots.AsSpan(0, live));
        }
        finally
        {
            _clock.EndBatch();
        }
    }

    /// <summary>Waits out lock-free payload copies that started before Dispose set its flag.</summary>
    private void WaitForOptimisticReaders() => _seq.WaitForReaders();

    /// <summary>The lock, plus the version bumps around the change, released together by <c>using</c>.</summary>
    private ref struct WriteScope
    {
        private readonly TieredKvStore _store;
        private Lock.Scope _scope;

        public WriteScope(TieredKvStore store)
        {
            _store = store;
            _scope = store._lock.EnterScope();
            store.DrainAccesses();
            store.BeginWrite();
        }

        public void Dispose()
        {
            _store.EndWrite();
            _scope.Dispose();
        }
    }
}
