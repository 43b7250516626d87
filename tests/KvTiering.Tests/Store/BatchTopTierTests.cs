using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A batch's top-tier blocks are read lock-free, as a lookup's first step reads them: a restore whose chunks sit in
/// the top tier does not take the store's lock once per block (which cost 1.5× a lookup's time per block and
/// interrupted every other thread's lock-free hits each time), and its lower-tier blocks still go through their tickets.
/// </summary>
public sealed class BatchTopTierTests
{
    private static readonly int Bytes = TinyLayout.BytesPerBlock;

    private static TieredKvStore Open(int top, int below)
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), top) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("dram2"), below) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    /// <summary>Runs the batch on a thread of its own and returns the lock holds it recorded there.</summary>
    private static (int Found, LockSite[] Holds) ReadRecorded(TieredKvStore store, BlockKey[] keys, byte[] destination, BlockRead[] results)
    {
        string thread = "batch-top-tier-" + Guid.NewGuid().ToString("N");
        var recorder = new LockHoldRecorder();
        int found = -1;
        var worker = new Thread(() =>
        {
            LockHolds.Recorder = recorder;
            try
            {
                // Every block answers synchronously here (memory devices), so the whole batch runs on this thread.
                found = store.ReadBatchAsync(keys, destination, results).GetAwaiter().GetResult();
            }
            finally
            {
                LockHolds.Recorder = null;
            }
        })
        { Name = thread };
        worker.Start();
        worker.Join();
        return (found, recorder.Sites.Where(s => s.Thread == thread).ToArray());
    }

    [Fact]
    public void A_batch_of_top_tier_blocks_takes_no_lock_and_reads_every_block()
    {
        using TieredKvStore store = Open(top: 8, below: 8);
        var keys = new BlockKey[8];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(PutResult.Stored, store.Put(keys[i], BlockKey.Empty, Payload(i)));
        }

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        (int found, LockSite[] holds) = ReadRecorded(store, keys, destination, results);

        Assert.Equal(keys.Length, found);
        Assert.Empty(holds.Select(h => $"{h.Site} ×{h.Count}"));
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(new BlockRead(true, Payload(i).Length, 0), results[i]);
            Assert.Equal(Payload(i), destination.AsSpan(i * Bytes, results[i].BytesWritten).ToArray());
        }

        Assert.Equal(keys.Length, store.GetStatistics().Hits);
    }

    [Fact]
    public void A_mixed_batch_takes_tickets_only_for_its_lower_tier_blocks_and_a_lock_free_miss_is_not_resident()
    {
        using TieredKvStore store = Open(top: 4, below: 8);
        var keys = new BlockKey[9];
        for (int i = 0; i < 8; i++)
        {
            keys[i] = Key(i);
            Assert.Equal(PutResult.Stored, store.Put(keys[i], BlockKey.Empty, Payload(i)));
        }

        keys[8] = Key(100); // never put
        int[] tiers = Array.ConvertAll(keys, k => store.TierOf(k));
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0, -1], tiers);

        var destination = new byte[keys.Length * Bytes];
        var results = new BlockRead[keys.Length];
        (int found, LockSite[] holds) = ReadRecorded(store, keys, destination, results);

        Assert.Equal(8, found);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(tiers[i], results[i].Tier);
            Assert.Equal(Payload(i), destination.AsSpan(i * Bytes, results[i].BytesWritten).ToArray());
        }

        Assert.Equal(BlockRead.Missed(BlockMiss.NotResident), results[8]);
        Assert.Equal(4, holds.Where(h => h.Site == "BatchTickets.TryBegin").Sum(h => h.Count));
        Assert.Equal(tiers, Array.ConvertAll(keys, k => store.TierOf(k))); // the batch moved nothing
    }
}
