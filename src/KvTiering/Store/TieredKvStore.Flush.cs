using KvTiering.Diagnostics;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// Demotes every unpinned block out of the tiers above the lowest persistent (flash) tier, so that the blocks
    /// survive a restart; returns how many blocks left those tiers (to flash, or dropped when flash declined them or
    /// had to make room). Does nothing in a store without a persistent
    /// tier. Blocks leave each tier in its policy's victim order, so when the flash tier is full the blocks it drops
    /// to make room are the ones its policy values least.
    /// </summary>
    /// <remarks>
    /// New blocks enter the top tier and reach flash only when demoted; call this (or set
    /// <see cref="KvStoreOptions.FlushOnDispose"/>) before an orderly shutdown to keep them. A crash still loses what
    /// sat in memory, as with any write-back cache.
    /// </remarks>
    public int Flush()
    {
        ThrowIfDisposed();
        int moved;
        using (EnterWrite())
        {
            ThrowIfDisposed();
            moved = FlushLocked();
        }

        _writeBehind?.WaitIdle(); // demotions queued before the flush land too
        return moved;
    }

    private int FlushLocked()
    {
        _syncDemotions = true; // a flush must not drop blocks for want of staging buffers
        try
        {
            return FlushTiers();
        }
        finally
        {
            _syncDemotions = false;
        }
    }

    private int FlushTiers()
    {
        int persistent = -1;
        for (int t = _tiers.Length - 1; t >= 0; t--)
        {
            if (_tiers[t].Device is IPersistentBlockDevice)
            {
                persistent = t;
                break;
            }
        }

        int before = 0;
        for (int t = 0; t < persistent; t++)
        {
            before += _tiers[t].Count;
        }

        int after = 0;
        for (int t = 0; t < persistent; t++)
        {
            Tier tier = _tiers[t];

            // Each round takes one block out of the tier, so the bound also guards against a policy that keeps
            // naming victims it cannot give up.
            for (int rounds = tier.Count - tier.PinnedCount; rounds > 0; rounds--)
            {
                int victim = tier.SelectVictim();
                if (victim < 0)
                {
                    break;
                }

                int e = (uint)victim < (uint)tier.Capacity ? tier.SlotToEntry[victim] : -1;
                if (e < 0 || !_table.IsEvictable(e))
                {
                    ThrowBadVictim(tier, victim);
                }

                Evict(e, tier);
            }

            after += tier.Count;
        }

        int moved = before - after;

        if (persistent >= 0)
        {
            Log.Flushed(_logger, _logName, moved, _tiers[persistent].Profile.Name);
        }

        return moved;
    }
}
