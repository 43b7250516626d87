using KvTiering.Devices;
using KvTiering.Placement;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    // How long a background verifier waits for the lock before it looks at its cancellation again.
    private static readonly TimeSpan DeferredLockPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Keeps the slots of blocks a persistent tier's open left unverified out of use (reserved), so the device can read
    /// them in the background while the store writes elsewhere (issue #23: verify lazily after open).
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

    /// <summary>Starts each persistent tier's background verification of the blocks its open left unverified.</summary>
    private void StartDeferredVerification()
    {
        foreach (Tier tier in _tiers)
        {
            if (tier.Device is IDeferredRecovery deferred && tier.Reserved > 0)
            {
                deferred.VerifyDeferred((block, intact, token) => OnDeferredVerified(tier, block, intact, token));
            }
        }
    }

    /// <summary>
    /// Indexes a block the background verification passed, unless its key arrived meanwhile, or frees its slot. Runs on
    /// the verifier's thread; the device's Dispose, which the store calls under its lock, waits for it, so it never
    /// blocks on the lock without watching <paramref name="cancel"/>.
    /// </summary>
    private void OnDeferredVerified(Tier tier, RecoveredBlock block, bool intact, CancellationToken cancel)
    {
        while (!_lock.TryEnter(DeferredLockPoll))
        {
            if (cancel.IsCancellationRequested)
            {
                return;
            }
        }

        try
        {
            if (_disposed || tier.SlotToEntry[block.Slot] >= 0)
            {
                return;
            }

            DrainAccesses();
            BeginWrite();
            try
            {
                tier.Reserved--;
                int e = intact && _table.Find(block.Key) < 0 ? _table.Add(block.Key, block.Parent, -1, 0, long.MaxValue) : -1;
                if (e < 0)
                {
                    if (intact)
                    {
                        tier.Device.Free(block.Slot);
                    }

                    tier.ReturnSlot(block.Slot);
                    return;
                }

                Bind(e, tier, block.Slot);
                tier.OnInsert(block.Slot);
                Note(PlacementAction.Recover, PlacementReason.Recovered, e, -1, tier.Index);
            }
            finally
            {
                EndWrite();
            }
        }
        finally
        {
            _lock.Exit();
        }
    }
}
