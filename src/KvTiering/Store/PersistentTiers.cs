using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The tiers whose devices declare <see cref="IPersistentBlockDevice"/> (found once, at construction): their blocks
/// are recovered into the table when the store opens, and <see cref="Flush"/> demotes everything above the lowest of
/// them into it so that it survives a restart.
/// </summary>
internal sealed class PersistentTiers
{
    private readonly BlockTable _table;
    private readonly Tier[] _tiers;
    private readonly StoreLog _log;
    private readonly int _lowest; // the lowest persistent tier, or -1
    private readonly DamagedAtOpen _damaged;

    // How long a background verifier waits for the lock before it looks at its cancellation again.
    private static readonly TimeSpan DeferredLockPoll = TimeSpan.FromMilliseconds(50);

    public PersistentTiers(BlockTable table, Tier[] tiers, StoreLog log, DamagedAtOpen damaged)
    {
        _damaged = damaged;
        _table = table;
        _tiers = tiers;
        _log = log;
        _lowest = Array.FindLastIndex(tiers, static t => t.Device is IPersistentBlockDevice);
    }

    /// <summary>
    /// Binds every block the persistent devices recovered, skipping slots out of range, slots claimed twice and keys
    /// already recovered from a higher tier. Call once, while the store is being built.
    /// </summary>
    public void Recover(SlotBinding slots, IPlacementHooks placement)
    {
        foreach (Tier tier in _tiers)
        {
            if (tier.Device is not IPersistentBlockDevice persistent)
            {
                continue;
            }

            IReadOnlyList<RecoveredBlock> blocks = persistent.Recover();
            var used = new bool[tier.Capacity];
            var kept = new List<RecoveredBlock>(blocks.Count);
            foreach (RecoveredBlock block in blocks)
            {
                if ((uint)block.Slot >= (uint)tier.Capacity || used[block.Slot] || _table.Find(block.Key) >= 0)
                {
                    continue;
                }

                used[block.Slot] = true;
                kept.Add(block);
                _table.Add(block.Key, block.Parent, -1, 0, long.MaxValue);
                _damaged.Forget(block.Key); // a higher tier dropped it damaged, this one holds it intact
            }

            Log.Recovered(_log.Logger, _log.Name, kept.Count, tier.Profile.Name, blocks.Count - kept.Count);
            NoteDamaged(tier);
            ReserveDeferred(tier, used);
            tier.ClaimSlots(used);
            foreach (RecoveredBlock block in kept)
            {
                int e = _table.Find(block.Key);
                slots.Bind(e, tier, block.Slot);
                tier.OnInsert(block.Slot);
                placement.Note(PlacementAction.Recover, PlacementReason.Recovered, e, -1, tier.Index);
            }
        }
    }

    /// <summary>
    /// Starts each persistent tier's background verification of the blocks its open left unverified (issue #23: verify
    /// lazily after open, without delaying the open); each block that passes is indexed unless its key arrived meanwhile.
    /// </summary>
    public void StartDeferredVerification(TopTierReader top, SlotBinding slots, IPlacementHooks placement)
    {
        foreach (Tier tier in _tiers)
        {
            if (tier.Device is IDeferredRecovery deferred && tier.Reserved > 0)
            {
                deferred.VerifyDeferred((block, intact, cancel) => OnDeferredVerified(top, slots, placement, tier, block, intact, cancel));
            }
        }
    }

    /// <summary>
    /// Notes the keys a tier's open dropped as damaged (<see cref="IDroppedAtRecovery"/>) that no tier recovered, oldest
    /// first, so that where the note overflows the newest stay (the likeliest to be asked for).
    /// </summary>
    private void NoteDamaged(Tier tier)
    {
        if (tier.Device is not IDroppedAtRecovery drops)
        {
            return;
        }

        IReadOnlyList<Blocks.BlockKey> keys = drops.DroppedAtRecovery;
        for (int i = keys.Count - 1; i >= 0; i--)
        {
            if (_table.Find(keys[i]) < 0)
            {
                _damaged.Note(keys[i]);
            }
        }
    }

    /// <summary>
    /// Keeps the slots of the blocks a tier's open left unverified out of use (reserved), so the device can read them in
    /// the background while the store writes elsewhere.
    /// </summary>
    private static void ReserveDeferred(Tier tier, bool[] used)
    {
        if (tier.Device is not IDeferredRecovery deferred)
        {
            return;
        }

        foreach (RecoveredBlock block in deferred.Deferred)
        {
            if ((uint)block.Slot < (uint)tier.Capacity && !used[block.Slot])
            {
                used[block.Slot] = true;
                tier.Reserved++;
            }
        }
    }

    /// <summary>
    /// Indexes a block the background verification passed, unless its key arrived meanwhile, or frees its slot. Runs on
    /// the verifier's thread; the device's Dispose, which the store calls under its lock, waits for it, so it never
    /// blocks on the lock without watching <paramref name="cancel"/>.
    /// </summary>
    private void OnDeferredVerified(TopTierReader top, SlotBinding slots, IPlacementHooks placement, Tier tier,
        RecoveredBlock block, bool intact, CancellationToken cancel)
    {
        while (!top.Lock.TryEnter(DeferredLockPoll))
        {
            if (cancel.IsCancellationRequested)
            {
                return;
            }
        }

        try
        {
            if (top.IsDisposed || tier.SlotToEntry[block.Slot] >= 0)
            {
                return;
            }

            top.Drain();
            top.BeginWrite();
            try
            {
                tier.Reserved--;
                int e = intact && _table.Find(block.Key) < 0 ? _table.Add(block.Key, block.Parent, -1, 0, long.MaxValue) : -1;
                if (!intact && _table.Find(block.Key) < 0)
                {
                    _damaged.Note(block.Key); // dropped damaged after the open: a read of it says corrupt
                }
                else if (e >= 0)
                {
                    _damaged.Forget(block.Key);
                }

                if (e < 0)
                {
                    if (intact)
                    {
                        tier.FreeSlot(block.Slot);
                    }

                    tier.ReturnSlot(block.Slot);
                    return;
                }

                slots.Bind(e, tier, block.Slot);
                tier.OnInsert(block.Slot);
                placement.Note(PlacementAction.Recover, PlacementReason.Recovered, e, -1, tier.Index);
            }
            finally
            {
                top.EndWrite();
            }
        }
        finally
        {
            top.Lock.Exit();
        }
    }

    /// <summary>
    /// Demotes every unpinned block out of the tiers above the lowest persistent tier, in each tier's victim order;
    /// returns how many left those tiers. Demotions write synchronously meanwhile. Call under the store's lock.
    /// </summary>
    public int Flush(BlockMover mover, WriteBehind writeBehind)
    {
        writeBehind.Synchronous = true; // a flush must not drop blocks for want of staging buffers
        try
        {
            return FlushTiers(mover);
        }
        finally
        {
            writeBehind.Synchronous = false;
        }
    }

    private int FlushTiers(BlockMover mover)
    {
        int before = 0;
        for (int t = 0; t < _lowest; t++)
        {
            before += _tiers[t].Count;
        }

        int after = 0;
        for (int t = 0; t < _lowest; t++)
        {
            Tier tier = _tiers[t];

            // Each round takes one block out of the tier, so the bound also guards against a policy that keeps
            // naming victims it cannot give up.
            for (int rounds = tier.Count - tier.PinnedCount; rounds > 0; rounds--)
            {
                int e = tier.VictimEntry(_table);
                if (e < 0)
                {
                    break;
                }

                mover.Evict(e, tier);
            }

            after += tier.Count;
        }

        int moved = before - after;
        if (_lowest >= 0)
        {
            Log.Flushed(_log.Logger, _log.Name, moved, _tiers[_lowest].Profile.Name);
        }

        return moved;
    }
}
