using KvTiering.Blocks;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

public sealed class LockHoldsTests
{
    [Fact]
    public void A_recorder_sees_each_lock_hold_by_call_site_and_thread_and_nothing_once_removed()
    {
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("dram"), 4));
        using var store = new TieredKvStore(options);
        string thread = "lock-holds-test-" + Guid.NewGuid().ToString("N");
        var recorder = new LockHoldRecorder();
        var worker = new Thread(() =>
        {
            LockHolds.Recorder = recorder;
            try
            {
                store.Put(Key(1), BlockKey.Empty, Payload(1));
                store.Put(Key(2), BlockKey.Empty, Payload(2));
            }
            finally
            {
                LockHolds.Recorder = null;
            }

            store.Put(Key(3), BlockKey.Empty, Payload(3)); // not recorded
        })
        { Name = thread };
        worker.Start();
        worker.Join();

        // A put that stores bytes takes the lock twice: to reserve its slot (Begin) and to publish it (Next).
        LockSite begin = Assert.Single(recorder.Sites, s => s.Thread == thread && s.Site == "PutHolds.Begin");
        LockSite next = Assert.Single(recorder.Sites, s => s.Thread == thread && s.Site == "PutHolds.Next");
        Assert.Equal(2, begin.Count);
        Assert.Equal(2, next.Count);
        Assert.True(begin.MaxHeldTicks > 0 && begin.HeldTicks >= begin.MaxHeldTicks);
        Assert.True(begin.HoldQuantileMicroseconds(0.99) > 0);
    }
}
