using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The lookups the lock-free path leaves to the lock: a lower tier, a block staged for write-behind, a remote tier, a
/// top tier without in-place slots. A lower tier's device read runs outside the lock: the slot is kept from being
/// freed or rewritten meanwhile (<see cref="SlotBinding.BeginSlotIo"/>), and back under the lock the block is promoted
/// (in a payload store by <see cref="PromotionCopies"/>, with its copies outside the lock) only if its entry did not
/// change; otherwise the verified bytes are returned and nothing moves (the Put, Remove or move that changed it wins).
/// </summary>
internal sealed class LockedReader
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly TierChain _chain;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly WriteBehind _writeBehind;
    private readonly RemoteProbe _remote;
    private readonly bool _metadataOnly;
    private readonly PromotionCopies? _promotions; // payload stores: a hit's promotion copies outside the lock

    public LockedReader(BlockTable table, Tier[] tiers, TopTierReader top, TierChain chain, SlotBinding slots,
        StoreCounters counters, WriteBehind writeBehind, RemoteProbe remote, PromotionCopies? promotions, bool metadataOnly)
    {
        _promotions = promotions;
        _table = table;
        _tiers = tiers;
        _top = top;
        _chain = chain;
        _slots = slots;
        _counters = counters;
        _writeBehind = writeBehind;
        _remote = remote;
        _metadataOnly = metadataOnly;
    }

    /// <summary>
    /// A lookup under the lock (a slow tier's read outside it); <paramref name="store"/> is checked for disposal under
    /// the lock. A read of a device with a read window (<see cref="DeviceReadWindow"/>) that finds it full waits for a
    /// place, blocking, holding no slot, reader or lock, and then looks the block up again: the window is the device's
    /// bound on reads in flight, which a synchronous caller (already blocked for its read's round trip) expects kept.
    /// <paramref name="miss"/> says why a miss missed (<see cref="BlockMiss.None"/> on a hit).
    /// </summary>
    public bool TryGet(TieredKvStore store, in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier,
        out BlockMiss miss)
    {
        DeviceReadWindow? held = null; // the place the last wait took: the next try's
        try
        {
            while (true)
            {
                bool hit = TryGet(store, key, destination, ref held, out DeviceReadWindow? full, out bool fetch, out bytesWritten,
                    out servedFromTier, out miss);
                if (!fetch && full is null)
                {
                    return hit;
                }

                held?.Exit(); // another device's, where the block was before: a fetch or a wait holds only its own place
                held = null;
                if (fetch)
                {
                    return _remote.Fetch(store, _chain, key, destination, out bytesWritten, out servedFromTier, out miss);
                }

                full!.Enter();
                held = full;
            }
        }
        finally
        {
            held?.Exit(); // waited for, and the block needed no read of that device after all
        }
    }

    /// <summary>
    /// One try of a lookup: a device read takes a place in its device's window first (<paramref name="held"/>'s, then
    /// cleared, or a free one). None free: <paramref name="full"/> names the window, nothing is taken or counted, and
    /// the caller waits for a place (holding nothing) and tries again with it. <paramref name="fetch"/>: a block the table
    /// lacks, its place taken (<see cref="RemoteProbe.TryBegin"/>), for the caller to fetch without the lock.
    /// </summary>
    public bool TryGet(TieredKvStore store, in BlockKey key, Span<byte> destination, ref DeviceReadWindow? held,
        out DeviceReadWindow? full, out bool fetch, out int bytesWritten, out int servedFromTier, out BlockMiss miss)
    {
        fetch = false;
        bytesWritten = 0; // until a read answers
        servedFromTier = -1;
        int e;
        int slot;
        Tier tier;
        long stamp;
        bool hit;
        int promoteTo; // -1: no promotion; -2: the read runs outside the lock first
        full = null;
        miss = BlockMiss.NotResident; // every miss below that no device read answers
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            _counters.Lookups++;
            e = _table.Find(key);
            if (e < 0)
            {
                // The shared tier's fetch, a network round trip, runs after the lock is let go.
                fetch = _remote.TryBegin(ref held, out full);
                if (full is not null)
                {
                    _counters.Lookups--; // counted on the try that reads
                }
                else if (!fetch)
                {
                    miss = _chain.Damaged.MissOf(key); // a block a persistent tier dropped damaged at open: corrupt
                }

                return false;
            }

            if (_table.Tier[e] < 0)
            {
                return false; // a put is still copying the block in (ReservedPut): not resident yet, a miss
            }

            tier = _tiers[_table.Tier[e]];
            slot = _table.Slot[e];
            int staging = _table.Staging[e];
            int length = staging >= 0 ? _writeBehind.Staged(staging).Length : tier.Device.PayloadLength(slot);
            if (destination.Length < length)
            {
                ThrowHelper.ThrowDestinationTooSmall(nameof(destination), destination.Length, length);
            }

            // A device read, under the lock or outside it, takes its place before anything is looked up or counted.
            bool reads = staging < 0 && !_metadataOnly;
            if (reads && !SlotReads.TryTakePlace(tier, ref held))
            {
                _counters.Lookups--; // counted on the try that reads
                full = tier.ReadWindow;
                return false;
            }

            if (!_chain.LoadOrRecompute(e, tier))
            {
                if (reads)
                {
                    tier.ReadWindow?.Exit();
                }

                return false;
            }

            stamp = _table.Stamps[e];
            // A top-tier hit that the lock-free path gave up on (it retried past writers' odd windows) copies outside
            // the lock too, like a lower tier's read: a 2 MiB copy under the lock made every writer wait for it.
            if (!reads || (tier.Index == 0 && tier.Direct is null))
            {
                // A block whose write-behind is in flight is served from its staging copy: a hit never waits for it.
                int read = staging >= 0 ? CopyStaged(tier, staging, destination) : ReadLocked(tier, slot, key, destination, reads);
                hit = Finish(e, tier, slot, read, destination, same: true, out bytesWritten, out servedFromTier, out promoteTo, out miss);
            }
            else
            {
                // A lower tier's read runs outside the lock: the slot can be neither freed nor rewritten while it runs.
                SlotBinding.BeginSlotIo(tier, slot);
                _top.EnterReader(); // Dispose (which needs the lock, so comes after this) waits for the read to end
                hit = false;
                promoteTo = -2;
            }
        }

        if (promoteTo != -2)
        {
            return Promoted(store, hit, e, stamp, tier, slot, promoteTo, destination[..bytesWritten]);
        }

        int got;
        try
        {
            try
            {
                got = tier.Device.Read(slot, key, destination);
            }
            finally
            {
                // The reader and the place end with the device's read, before the lock is asked for again: Dispose
                // waits for readers under that lock (SlotReads.Ended says why).
                _top.ExitReader();
                tier.ReadWindow?.Exit();
            }
        }
        catch
        {
            using (_top.EnterWrite())
            {
                if (!_top.IsDisposed) // a disposed store's devices are closed: nothing to free
                {
                    SlotBinding.EndSlotIo(tier, slot);
                }
            }

            throw;
        }

        using (_top.EnterWrite())
        {
            bool left = SlotBinding.EndSlotIo(tier, slot);
            bool same = !left && _table.IsAt(e, stamp, tier.Index, slot);
            hit = Finish(e, tier, slot, got, destination, same, out bytesWritten, out servedFromTier, out promoteTo, out miss);
        }

        return Promoted(store, hit, e, stamp, tier, slot, promoteTo, destination[..bytesWritten]);
    }

    /// <summary>Promotes a hit the policy wants higher (<paramref name="target"/> ≥ 0) with its copies outside the lock; returns <paramref name="hit"/>.</summary>
    private bool Promoted(TieredKvStore store, bool hit, int e, long stamp, Tier from, int slot, int target, ReadOnlySpan<byte> bytes)
    {
        if (target >= 0)
        {
            _promotions!.Promote(store, e, stamp, from, slot, target, bytes);
        }

        return hit;
    }

    /// <summary>
    /// Books a lookup's read of entry <paramref name="e"/> (under the lock). When the entry changed while the read ran
    /// outside the lock (<paramref name="same"/> false), verified bytes are still the key's and are returned, but
    /// nothing is moved. A failed read's cause (<paramref name="miss"/>) is the device's for <paramref name="slot"/>,
    /// which was kept from being freed or rewritten while it was read, whether or not the entry changed meanwhile.
    /// </summary>
    public bool Finish(int e, Tier tier, int slot, int read, Span<byte> destination, bool same, out int bytesWritten,
        out int servedFromTier, out int promoteTo, out BlockMiss miss)
    {
        promoteTo = -1;
        miss = BlockMiss.None;
        if (read < 0)
        {
            miss = ReadMisses.Of(tier, slot); // asked before the drop frees the slot
            if (same)
            {
                _slots.DropUnreadable(e, tier, keepUnreachable: true);
            }

            bytesWritten = 0;
            servedFromTier = -1;
            return false;
        }

        _counters.Hits++;
        servedFromTier = tier.Index;
        bytesWritten = read;
        _counters.Read(tier, read);
        if (same && _promotions is not null)
        {
            promoteTo = _chain.AccessForPromotion(e, tier); // moved after the lock is let go
        }
        else if (same)
        {
            _chain.Access(e, tier, destination[..read], readBooked: true);
        }
        else
        {
            tier.Counters.Hits++;
        }

        return true;
    }

    private int CopyStaged(Tier tier, int staging, Span<byte> destination)
    {
        tier.Counters.StagedHits++; // a hit with no device read: the drill tells these from the remote's round trips
        ReadOnlySpan<byte> staged = _writeBehind.Staged(staging);
        staged.CopyTo(destination);
        return staged.Length;
    }

    /// <summary>
    /// A device read under the lock, outside the seqlock's odd window (the slot stays mapped and unchanged); a read
    /// that took a place in its device's window (<paramref name="placed"/>) gives it back when it ends.
    /// </summary>
    private int ReadLocked(Tier tier, int slot, in BlockKey key, Span<byte> destination, bool placed)
    {
        bool paused = !_metadataOnly && _top.Pause();
        int read;
        try
        {
            read = tier.Device.Read(slot, key, destination);
        }
        finally
        {
            if (placed)
            {
                tier.ReadWindow?.Exit(); // a device that throws still gives its place back
            }
        }

        _top.Resume(paused);
        return read;
    }
}
