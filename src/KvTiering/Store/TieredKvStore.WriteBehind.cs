using KvTiering.Devices;
using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// Demotions into slow tiers, off the put's path. The put that evicts a victim copies its bytes into a staging buffer
/// (a memory copy, outside the seqlock's odd window), binds the block to its slot in the slow tier at once, and queues
/// the write; one background worker writes it without the store's lock. Until the write lands the block is served
/// from the staging copy (and may be promoted, demoted further or dropped from it like any block). A Remove, Clear or
/// move meanwhile wins: the slot stays reserved until the write ends, then is freed, and nothing is bound to it.
/// </summary>
public sealed partial class TieredKvStore
{
    private readonly WriteBehindQueue? _writeBehind;
    private readonly Thread? _writeBehindWorker;
    private bool _syncDemotions; // Flush and Dispose write synchronously: they must not drop blocks for want of buffers

    /// <summary>Whether a tier's demotions go through the queue (asked for with <see cref="TierOptions.WriteBehind"/>).</summary>
    private static bool UsesWriteBehind(TierOptions tier, int index, bool metadataOnly) =>
        !metadataOnly && index > 0 && tier.WriteBehind;

    private WriteBehindQueue? CreateWriteBehind(KvStoreOptions options)
    {
        bool any = false;
        for (int i = 0; i < _tiers.Length; i++)
        {
            _tiers[i].WriteBehind = UsesWriteBehind(options.Tiers[i], i, MetadataOnly) && options.WriteBehindBlocks > 0;
            any |= _tiers[i].WriteBehind;
        }

        return any ? new WriteBehindQueue(options.WriteBehindBlocks, BlockBytes) : null;
    }

    private Thread? StartWriteBehind()
    {
        if (_writeBehind is null)
        {
            return null;
        }

        var worker = new Thread(WriteBehindLoop) { IsBackground = true, Name = $"KvTiering write-behind ({_logName})" };
        worker.Start();
        return worker;
    }

    /// <summary>
    /// Queues a victim's demotion into <paramref name="slot"/> of <paramref name="to"/>: copies its bytes into
    /// <paramref name="buffer"/>, moves the entry there (still in flight) and hands the write to the worker.
    /// </summary>
    private void Stage(int e, Tier from, Tier to, int slot, int buffer, ReadOnlySpan<byte> bytes)
    {
        WriteBehindQueue queue = _writeBehind!;
        bool paused = _seq.Pause(); // the source slot stays mapped and the buffer is private: readers may overlap
        bytes.CopyTo(queue.Buffer(buffer));
        _seq.Resume(paused);
        Unbind(e, from);
        Bind(e, to, slot);
        _table.Staging[e] = buffer;
        _table.InFlight[e] = false; // movable again: its bytes are the staging copy until the write lands
        _counters.Write(to, bytes.Length);
        to.OnInsert(slot);
        from.Counters.Demotions++;
        Note(PlacementAction.Demote, PlacementReason.EvictionVictim, e, from.Index, to.Index);
        queue.Enqueue(new WriteBehindJob(e, _table.Stamps[e], to.Index, slot, buffer, bytes.Length, _table.Keys[e], _table.Parents[e]));
    }

    /// <summary>The worker: each queued block's write, outside the lock, then its outcome booked under it.</summary>
    private void WriteBehindLoop()
    {
        WriteBehindQueue queue = _writeBehind!;
        while (queue.Jobs.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (queue.Jobs.TryRead(out WriteBehindJob job))
            {
                IOException? failure = null;
                try
                {
                    _tiers[job.Tier].Device.Write(job.Slot, job.Key, job.Parent, queue.Staged(job.Buffer));
                }
                catch (IOException ex)
                {
                    failure = ex;
                }

                using (EnterWrite())
                {
                    CompleteWriteBehind(job, failure);
                }
            }
        }
    }

    /// <summary>Books a queued write's outcome. Call under the lock.</summary>
    private void CompleteWriteBehind(in WriteBehindJob job, IOException? failure)
    {
        Tier tier = _tiers[job.Tier];
        int e = job.Entry;
        if (_table.Stamps[e] == job.Stamp && _table.Staging[e] == job.Buffer)
        {
            _table.Staging[e] = -1;
            if (failure is not null)
            {
                tier.Counters.WriteFailures++;
                Log.WriteFailed(_logger, _logName, tier.Profile.Name, job.Key, failure);
                Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, tier.Index);
                if (_table.Pins[e] > 0)
                {
                    tier.PinnedCount--;
                }

                Unbind(e, tier);
                _table.Remove(e);
            }
        }
        else
        {
            // Removed, cleared or moved while in flight: its slot was kept out of use until now.
            tier.Reserved--;
            tier.Device.Free(job.Slot);
            tier.ReturnSlot(job.Slot);
        }

        _writeBehind!.Return(job.Buffer);
        _writeBehind.Completed();
    }

    /// <summary>Stops the queue and waits for the worker to write what it holds. Call without the lock.</summary>
    private void CloseWriteBehind()
    {
        if (_writeBehind is null)
        {
            return;
        }

        lock (_lock)
        {
            _writeBehind.Close();
        }

        if (Thread.CurrentThread != _writeBehindWorker)
        {
            _writeBehindWorker?.Join();
        }
    }
}
