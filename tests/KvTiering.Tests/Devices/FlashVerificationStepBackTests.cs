using System.Diagnostics;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;

namespace KvTiering.Tests.Devices;

/// <summary>
/// The background verification steps back while the device serves reads: one block at a time instead of half the
/// queue depth, so a server's reads do not queue behind four verification reads (flash-verify-reads measured the
/// reads at depth 1 3.9–5.0× slower at the median with it running before this, 1.35–1.57× after); and it never stops,
/// so blocks still come back under a reader that does not pause.
/// </summary>
public sealed class FlashVerificationStepBackTests : IDisposable
{
    private const int Slots = 32;
    private const int Blocks = 24;
    private const int SlotBytes = 8192;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    private static BlockKey Key(int i) => new((ulong)i + 1, 0x57E9);

    private static byte[] Payload(int i)
    {
        var bytes = new byte[SlotBytes];
        new Random(i).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes the blocks, then reopens with a zero budget: all of them are left to the background verification.</summary>
    private FlashDevice WriteAndReopenHurried()
    {
        using (var device = new FlashDevice(Dir, Slots, SlotBytes))
        {
            for (int i = 0; i < Blocks; i++)
            {
                device.Write(i, Key(i), BlockKey.Empty, Payload(i));
            }
        }

        var reopened = new FlashDevice(Dir, Slots, SlotBytes, new FlashDeviceOptions { RecoveryVerificationBudget = TimeSpan.Zero });
        Assert.True(reopened.Recover().Count <= 1); // a zero budget may let the first block through, no more
        Assert.True(reopened.GetStatistics().Unverified >= Blocks - 1);
        return reopened;
    }

    /// <summary>Runs the verification to its end; returns the most blocks it had in hand at once.</summary>
    private static int VerifyAll(FlashDevice device)
    {
        int inHand = 0, most = 0, verified = 0;
        using var done = new ManualResetEventSlim();
        ((IDeferredRecovery)device).VerifyDeferred((_, ok, _) =>
        {
            int now = Interlocked.Increment(ref inHand);
            InterlockedMax(ref most, now);
            Thread.Sleep(20); // long enough that workers running together overlap here
            Interlocked.Decrement(ref inHand);
            Assert.True(ok);
            if (Interlocked.Increment(ref verified) == device.GetStatistics().Unverified)
            {
                done.Set();
            }
        });

        Assert.True(done.Wait(TimeSpan.FromSeconds(60)), "the background verification did not finish");
        return most;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public void Beside_foreground_reads_the_verification_takes_one_block_at_a_time_and_still_verifies_every_one()
    {
        using FlashDevice device = WriteAndReopenHurried();
        device.ForegroundReads.Begin(); // a read in flight for the whole verification: a reader that never pauses
        try
        {
            Assert.Equal(1, VerifyAll(device)); // before: half the queue depth (4) at once
        }
        finally
        {
            device.ForegroundReads.End();
        }

        var buffer = new byte[SlotBytes];
        for (int i = 0; i < Blocks; i++)
        {
            Assert.Equal(SlotBytes, device.Read(i, Key(i), buffer));
            Assert.Equal(Payload(i), buffer);
        }
    }

    [Fact]
    public void Without_foreground_reads_the_verification_runs_half_the_queue_depth_at_once()
    {
        using FlashDevice device = WriteAndReopenHurried();
        int most = VerifyAll(device);
        Assert.InRange(most, 2, device.QueueDepth / 2);
    }

    [Fact]
    public void A_read_counts_while_in_flight_and_for_the_quiet_window_after_it()
    {
        var reads = new FlashForegroundReads();
        Assert.False(reads.Busy);
        reads.Begin();
        Assert.True(reads.Busy);
        Assert.True(WithinQuietWindow(() =>
        {
            reads.End();
            bool busy = reads.Busy; // a reader's gap between two reads is not a pause
            reads.Begin(); // in flight again for the next attempt
            return busy;
        }));
        reads.End();
        Thread.Sleep(FlashForegroundReads.QuietWindow * 10);
        Assert.False(reads.Busy);
    }

    [Fact]
    public void A_device_read_is_a_foreground_read()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes);
        device.Write(0, Key(0), BlockKey.Empty, Payload(0));
        Thread.Sleep(FlashForegroundReads.QuietWindow * 10); // the write is not a read
        Assert.False(device.ForegroundReads.Busy);
        var buffer = new byte[SlotBytes];
        Assert.True(WithinQuietWindow(() =>
        {
            Assert.Equal(SlotBytes, device.Read(0, Key(0), buffer));
            return device.ForegroundReads.Busy;
        }));
    }

    /// <summary>
    /// Runs <paramref name="step"/> (a read's end, then a look at <see cref="FlashForegroundReads.Busy"/>) until one
    /// run takes less than the quiet window, and returns what that run saw. The window is 5 ms of wall-clock time, and
    /// a thread preempted for longer between the end and the look (a time slice on a loaded core is several ms) would
    /// rightly see the device idle: a single try failed by chance. A run shorter than the window saw the look within
    /// the window of the end, so it must see the device busy; a device without the window fails every run.
    /// </summary>
    private static bool WithinQuietWindow(Func<bool> step)
    {
        for (int attempt = 1; ; attempt++)
        {
            long start = Stopwatch.GetTimestamp();
            bool busy = step();
            if (Stopwatch.GetElapsedTime(start) < FlashForegroundReads.QuietWindow)
            {
                return busy;
            }

            Assert.True(attempt < 1_000, $"no run of the step took less than {FlashForegroundReads.QuietWindow.TotalMilliseconds} ms in {attempt} tries");
        }
    }
}
