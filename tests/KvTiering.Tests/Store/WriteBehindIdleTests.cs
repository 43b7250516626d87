using KvTiering.Store;

namespace KvTiering.Tests.Store;

/// <summary>
/// <see cref="WriteBehindQueue.WaitIdle"/> (a flush's wait for the queued writes) blocks on a signal the worker gives
/// as it books the last pending job, like a put's wait for room, instead of spinning and sleeping 1 ms at a time.
/// </summary>
public sealed class WriteBehindIdleTests
{
    [Fact]
    public async Task The_wait_for_an_empty_queue_wakes_once_when_the_last_job_completes()
    {
        var queue = new WriteBehindQueue(depth: 2, blockBytes: 8);
        queue.Enqueue(WriteBehindJob.Free(tier: 1, slot: 0));
        queue.Enqueue(WriteBehindJob.Free(tier: 1, slot: 1));

        Task waiting = Task.Factory.StartNew(queue.WaitIdle, TaskCreationOptions.LongRunning);
        StoreTestKit.WaitFor(() => queue.HasIdleWaiter, "the waiter blocked on the signal");
        queue.Completed();
        Assert.Equal(1, queue.Pending);
        Assert.True(queue.HasIdleWaiter); // one job still pending: not signalled
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, queue.IdleWakeups); // blocked, not polling: a spinning wait would have no signal to wait on

        queue.Completed();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, queue.IdleWakeups);
        Assert.False(queue.HasIdleWaiter);
    }

    [Fact]
    public void The_wait_returns_at_once_when_nothing_is_pending()
    {
        var queue = new WriteBehindQueue(depth: 2, blockBytes: 8);
        queue.WaitIdle();
        Assert.Equal(0, queue.IdleWakeups);
        Assert.False(queue.HasIdleWaiter);
    }

    [Fact]
    public async Task A_flush_waits_for_the_queued_writes_and_then_finds_them_landed()
    {
        var slow = new GatedDevice(8, StoreTestKit.TinyLayout.BytesPerBlock);
        using TieredKvStore store = StoreTestKit.WriteBehindStore(slow, top: 2, queue: 4);
        slow.Close();
        for (int i = 0; i < 4; i++)
        {
            store.Put(StoreTestKit.Key(i), default, StoreTestKit.Payload(i)); // two victims staged, their writes at the gate
        }

        StoreTestKit.WaitFor(() => slow.Waiting == 1, "a demotion's write at the gate");
        Task flushing = Task.Factory.StartNew(() => store.Flush(), TaskCreationOptions.LongRunning);
        Assert.False(flushing.IsCompleted);
        slow.Open();
        await flushing.WaitAsync(TimeSpan.FromSeconds(10)); // the flush ended once the queue emptied
        Assert.Equal(0, store.WriteBehindPending);
        Assert.Empty(slow.Violations);
    }
}
