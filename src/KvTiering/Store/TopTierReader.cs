using System.Runtime.CompilerServices;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The lock-free read path and the lock it avoids. A hit in the top tier is the common case of a serving store and
/// needs neither a decision nor a move, so it runs without the lock: it reads the table and copies the bytes
/// optimistically, checks the <see cref="SeqLock"/> every writer bumps, and queues the access for the policies, which
/// see it, in order, the next time anyone takes the lock (<see cref="Drain"/>). Anything else (a miss that may not be
/// final, a lower tier, a torn read, a full queue) answers <see cref="NeedsLock"/>, and the locked path gives the same
/// answer. Writers take the lock through <see cref="EnterWrite"/>. This type answers the reference-bit hit of a
/// payload-free top tier (<see cref="TryBit"/>) and the lock-free resident re-put, and owns what every lock-free path
/// uses in place (the seqlock, the striped counts, the queued hits); the other lock-free lookups (payload copies,
/// queued hits) are <see cref="OptimisticRead"/>'s, the slots a payload hit copies from <see cref="SlotCopies"/>, and
/// the lock-free lookups that are not hits (a prefix match, a block's tier) <see cref="ResidencyLookup"/>'s, over
/// <see cref="TryBeginRead"/> and <see cref="IsValid"/>.
/// </summary>
/// <remarks>
/// Deferring recency updates to a buffer drained under the lock is BP-Wrapper (Ding et al., ICDE 2009), as in
/// Caffeine and BitFaster.Caching's ConcurrentLfu; the version check is the Linux kernel's seqlock (see
/// <see cref="SeqLock"/>).
/// </remarks>
internal sealed class TopTierReader
{
    /// <summary>A top-tier hit, a final answer.</summary>
    public const int Hit = 1;

    /// <summary>Absent from every tier, a final answer: no lock needed.</summary>
    public const int Miss = 0;

    /// <summary>A lower tier, a full queue, a remote tier to ask: take the lock.</summary>
    public const int NeedsLock = -1;

    /// <summary>A writer ran meanwhile: worth another lock-free try.</summary>
    public const int Interrupted = -2;

    // The reference-bit hit's fields first, held in place: it loads the index's arrays, the bits and the count
    // stripes from this object, not through the table or a counts object (each would add a dependent load).
    private readonly TopSlotProbe _topSlots;
    private readonly byte[]? _referenceBits;      // the top tier's reference bits, when its policy keeps them
    private LockFreeCounts _lockFreeCounts = new(); // used in place, as _seq
    private readonly BlockTable _table;
    private readonly Tier _top;
    private readonly StoreCounters _counters;
    private readonly QueuedHits _queued;
    private readonly bool _remoteMayHave;         // a shared remote tier may hold what the table lacks: no final miss
    private SeqLock _seq;                         // used in place: the hit path pays no indirection
    private volatile bool _disposed;

    public TopTierReader(BlockTable table, Tier top, StoreCounters counters, StoreClock clock, bool metadataOnly, bool remoteMayHave)
    {
        _table = table;
        _topSlots = table.TopSlots;
        _top = top;
        _counters = counters;
        _queued = new QueuedHits(table, top, counters, clock);
        _remoteMayHave = remoteMayHave;
        _referenceBits = top.ReferenceBits; // set by the policy's Attach, which runs first

        // What the top tier's device declares it can do (capabilities, never concrete types).
        bool payloadFree = metadataOnly || !top.Device.StoresPayload;
        Reads = new OptimisticRead(this, table, top, _queued, payloadFree);
        BitHits = _referenceBits is not null && payloadFree;
    }

    /// <summary>The lock-free lookup <see cref="TryBit"/> does not answer: payload copies, queued hits, the retry.</summary>
    public OptimisticRead Reads { get; }

    /// <summary>The lock every change runs under.</summary>
    public Lock Lock { get; } = new();

    /// <summary>Whether <see cref="TryBit"/> answers most lookups: a payload-free top tier with reference bits.</summary>
    public bool BitHits { get; }

    /// <summary>Whether the top tier keeps reference bits (a resident put may then be lock-free, <see cref="TryTouchResident"/>).</summary>
    public bool HasReferenceBits => _referenceBits is not null;

    /// <summary>Whether the store is disposed; read by every lock-free copy.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>
    /// The commonest answers of a payload-free top tier with reference bits, a hit and a final miss, with no call on
    /// their way, so the JIT gives the caller almost no frame: probe, validate, set the bit, count.
    /// <see cref="NeedsLock"/> sends the caller down the general path, which answers everything.
    /// </summary>
    /// <param name="key">The key looked up.</param>
    /// <param name="bytesWritten">0 (a metadata-only hit copies nothing); its address (the caller's local, as a rule)
    /// picks the counter stripe, which saves this path a local of its own whose address would cost it a frame.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryBit(in BlockKey key, ref int bytesWritten)
    {
        long version = _seq.Version;
        int slot = _topSlots.Find(key);
        if ((version & 1) != 0 || slot < -1 || !_seq.IsValid(version))
        {
            return NeedsLock;
        }

        if (slot < 0)
        {
            if (_remoteMayHave)
            {
                return NeedsLock;
            }

            _lockFreeCounts.AddMiss(ref bytesWritten);
            return Miss;
        }

        MarkReferenced(_referenceBits!, slot);
        _lockFreeCounts.AddHit(ref bytesWritten);
        return Hit;
    }

    /// <summary>
    /// A put of a block already in a reference-bit top tier, without the lock, when the locked path would change
    /// nothing but the bit: the context it carries (session, labels, next use) is what the entry holds already. Such
    /// re-puts are common (every request re-offers its prefix) and would otherwise queue behind inserts on the lock.
    /// </summary>
    public bool TryTouchResident(in BlockKey key, in BlockContext context)
    {
        long version = _seq.Version;
        BlockTable table = _table;
        int e = table.FindOptimistic(key, out int slot);
        if ((version & 1) != 0 || (e | slot) < 0
            || table.NextUse[e] != context.NextUse
            || (context.Session != 0 && table.Session[e] != context.Session)
            || (!context.Labels.IsUnlabeled && !table.Labels[e].Equals(context.Labels))
            || !_seq.IsValid(version))
        {
            return false;
        }

        MarkReferenced(_referenceBits!, slot);
        _lockFreeCounts.AddPut();
        return true;
    }

    /// <summary>Starts an optimistic read of the table: false while a writer is mid-change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryBeginRead(out long version) => _seq.TryBeginRead(out version);

    /// <summary>Whether no writer ran since <paramref name="version"/> was read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValid(long version) => _seq.IsValid(version);

    /// <summary>Takes the lock for a change lock-free readers must not see half done; drains queued hits first.</summary>
    public WriteScope EnterWrite([CallerMemberName] string site = "", [CallerFilePath] string file = "") => new(this, site, file);

    /// <summary>Marks the start of a change (odd version). Call under the lock.</summary>
    public void BeginWrite() => _seq.BeginWrite();

    /// <summary>Marks the end of a change (even version). Call under the lock.</summary>
    public void EndWrite() => _seq.EndWrite();

    /// <summary>Ends the odd window for a byte copy readers may overlap; see <see cref="SeqLock.Pause"/>.</summary>
    public bool Pause() => _seq.Pause();

    /// <summary>Reopens the odd window <see cref="Pause"/> closed.</summary>
    public void Resume(bool paused) => _seq.Resume(paused);

    /// <summary>Announces a payload copy outside the lock; <see cref="MarkDisposed"/> waits for it to end.</summary>
    public void EnterReader() => _seq.EnterReader();

    /// <summary>Ends a payload copy announced by <see cref="EnterReader"/>.</summary>
    public void ExitReader() => _seq.ExitReader();

    /// <summary>
    /// Announces a reader outside the lock unless the store is disposed: false (nothing announced) once it is. Announce
    /// first, check after, in that order: <see cref="MarkDisposed"/> sets its flag before it waits for readers, so either
    /// this sees the flag or <c>Dispose</c> waits for this reader (<see cref="SlotCopies"/>' copies do the same inline).
    /// </summary>
    public bool TryEnterReader()
    {
        _seq.EnterReader();
        if (!_disposed)
        {
            return true;
        }

        _seq.ExitReader();
        return false;
    }

    /// <summary>Marks the store disposed and waits out payload copies that began before. Call under the lock, odd.</summary>
    public void MarkDisposed()
    {
        _disposed = true;
        _seq.WaitForReaders();
    }

    /// <summary>Tells the policies about every queued lock-free hit and books what they counted. Call under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drain()
    {
        if (!_queued.IsEmpty)
        {
            _queued.Drain(_seq.Version);
        }
    }

    /// <summary>Drains the queued hits and folds the striped lock-free counts in, before a statistics snapshot.</summary>
    public void DrainAndFold()
    {
        Drain();
        _counters.Fold(ref _lockFreeCounts, _top);
    }

    /// <summary>Counts a lock-free hit that copied <paramref name="bytes"/> (0 for none) in this thread's stripe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountHit(int bytes) => _lockFreeCounts.AddHit(bytes);

    /// <summary>A probe that met an empty bucket: a final miss if no writer ran and no remote tier could have it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int MissOptimistic(long version)
    {
        if (_remoteMayHave)
        {
            return NeedsLock;
        }

        if (!_seq.IsValid(version))
        {
            return Interrupted;
        }

        _lockFreeCounts.AddMiss();
        return Miss;
    }

    /// <summary>
    /// Tells the top tier's policy, which only wants "used since it last looked", that the slot was used: sets its bit
    /// unless set already, so a hot block's line is not dirtied (and taken from other cores' caches) on every hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MarkReferenced(byte[] bits, int slot)
    {
        if (bits[slot] == 0)
        {
            bits[slot] = 1;
        }
    }
}
