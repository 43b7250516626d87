using KvTiering.Devices;

namespace KvTiering.Tests.Tiers;

/// <summary>The flash device's I/O buffers: aligned, never held by two callers, never more than the pool's count.</summary>
public sealed class AlignedBufferPoolTests
{
    [Fact]
    public unsafe void Buffers_are_page_aligned_and_distinct()
    {
        using var pool = new AlignedBufferPool(3, 8192);
        byte* a = pool.Rent();
        byte* b = pool.Rent();
        byte* c = pool.Rent();
        Assert.Equal(0, (long)a % 4096);
        Assert.Equal(0, (long)b % 4096);
        Assert.Equal(0, (long)c % 4096);
        Assert.Equal(3, new HashSet<nint> { (nint)a, (nint)b, (nint)c }.Count);
        pool.Return(b);
        Assert.True(pool.Rent() == b); // the only free buffer
        pool.Return(a);
        pool.Return(b);
        pool.Return(c);
    }

    [Fact]
    public async Task A_renter_waits_while_every_buffer_is_out()
    {
        using var pool = new AlignedBufferPool(1, 4096);
        nint held = Rent(pool);
        Task<nint> second = Task.Run(() => Rent(pool));
        Task first = await Task.WhenAny(second, Task.Delay(100));
        Assert.NotSame(second, first);
        Return(pool, held);
        Assert.Equal(held, await second.WaitAsync(TimeSpan.FromSeconds(60)));
        Return(pool, held);
    }

    private static unsafe nint Rent(AlignedBufferPool pool) => (nint)pool.Rent();

    private static unsafe void Return(AlignedBufferPool pool, nint buffer) => pool.Return((byte*)buffer);

    [Fact]
    public unsafe void Concurrent_renters_never_share_a_buffer()
    {
        const int Count = 3;
        using var pool = new AlignedBufferPool(Count, 4096);
        int inUse = 0;
        int maxInUse = 0;
        int conflicts = 0;
        var held = new System.Collections.Concurrent.ConcurrentDictionary<nint, int>();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                byte* buffer = pool.Rent();
                int now = Interlocked.Increment(ref inUse);
                InterlockedMax(ref maxInUse, now);
                if (!held.TryAdd((nint)buffer, 0))
                {
                    Interlocked.Increment(ref conflicts);
                }

                Thread.SpinWait(5);
                held.TryRemove((nint)buffer, out int _);
                Interlocked.Decrement(ref inUse);
                pool.Return(buffer);
            }
        });

        Assert.Equal(0, conflicts);
        Assert.InRange(maxInUse, 1, Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
