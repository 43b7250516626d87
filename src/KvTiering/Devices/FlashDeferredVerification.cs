using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>
/// The flash device's background verification (<see cref="IDeferredRecovery"/>): checks the payloads of the blocks
/// the open's time budget left unchecked, newest first, making each readable as it passes (or counting and zeroing it
/// as it fails), and reports each to the store. Stopped, and waited for, before the device closes its file.
/// </summary>
/// <remarks>
/// Runs at most half the queue depth of I/Os at once (at least one), so foreground reads keep the other half of the
/// buffer pool; and while the device serves foreground reads (<see cref="FlashForegroundReads"/>) it steps back to one
/// I/O at a time, resting after each three times as long as it took, so its reads hold the disk's queue at most a
/// quarter of the time and a server's reads do not queue behind four of them. It never stops: a server that reads
/// without pause still gets its blocks back, more slowly. The store keeps every deferred block's slot out of use until
/// it is reported, so these reads never race a write of the same slot.
/// </remarks>
internal sealed unsafe class FlashDeferredVerification : IDisposable
{
    // How often a stood-down worker looks again whether the foreground reads have stopped.
    private static readonly TimeSpan PollWhileReading = TimeSpan.FromMilliseconds(2);

    // Beside foreground reads, the one worker left rests this many times as long as a block took: its reads hold the
    // disk's queue a quarter of the time (flash-verify-reads, docs/benchmarks.md "FlashBenchmarks").
    private const int RestPerWork = 3;

    private readonly FlashFile _file;
    private readonly FlashSlotTable _slots;
    private readonly AlignedBufferPool _pool;
    private readonly FlashBlockVerifier _verifier;
    private readonly FlashCounters _counters;
    private readonly FlashForegroundReads _foreground;
    private readonly FlashSlotRelease _release;
    private readonly ILogger _logger;
    private readonly int _queueDepth;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _cancel = new();
    private (RecoveredBlock Block, FlashSlotHeader Header)[] _deferred = [];
    private Task? _work;
    private bool _stopped;
    private int _next = -1;   // the last block a worker took (the work runs once per device)
    private long _intact;

    public FlashDeferredVerification(FlashFile file, FlashSlotTable slots, AlignedBufferPool pool,
        FlashBlockVerifier verifier, FlashCounters counters, FlashForegroundReads foreground, FlashSlotRelease release,
        ILogger logger, int queueDepth)
    {
        _file = file;
        _slots = slots;
        _pool = pool;
        _verifier = verifier;
        _counters = counters;
        _foreground = foreground;
        _release = release;
        _logger = logger;
        _queueDepth = queueDepth;
    }

    /// <summary>The blocks left to verify, newest first (as the last scan left them).</summary>
    public IReadOnlyList<RecoveredBlock> Blocks => Array.ConvertAll(_deferred, static d => d.Block);

    /// <summary>Remembers what a scan left unchecked, newest first.</summary>
    public void Defer(List<(RecoveredBlock Block, FlashSlotHeader Header)> found)
    {
        lock (_lock)
        {
            if (_work is not null)
            {
                return; // a rescan while the background runs: the slots it holds are the store's, keep its list
            }

            found.Sort(static (a, b) => b.Block.Generation.CompareTo(a.Block.Generation));
            _deferred = [.. found];
            _counters.Pending(found.Count);
        }
    }

    /// <summary>Starts the background verification once; later calls, and calls after <see cref="Dispose"/>, do nothing.</summary>
    public void Start(Action<RecoveredBlock, bool, CancellationToken> onVerified)
    {
        lock (_lock)
        {
            if (_work is not null || _deferred.Length == 0 || _stopped)
            {
                return;
            }

            (RecoveredBlock Block, FlashSlotHeader Header)[] work = _deferred;
            CancellationToken token = _cancel.Token;
            _work = Task.Factory.StartNew(() => Verify(work, onVerified, token), token,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>Stops the background verification and waits for it, before the file and the buffers go.</summary>
    public void Dispose()
    {
        _cancel.Cancel();
        Task? work;
        lock (_lock)
        {
            _stopped = true;
            work = _work;
        }

        try
        {
            work?.Wait();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(static e => e is OperationCanceledException))
        {
        }

        _cancel.Dispose();
    }

    private void Verify((RecoveredBlock Block, FlashSlotHeader Header)[] work,
        Action<RecoveredBlock, bool, CancellationToken> onVerified, CancellationToken token)
    {
        long start = Stopwatch.GetTimestamp();
        int workers = Math.Max(1, _queueDepth / 2);

        // Threads of their own, not the thread pool's: the workers block in reads and rests, and pool threads held
        // that way are ones a server's requests wait for (the pool adds threads slowly on a small machine).
        var threads = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            int worker = w;
            threads[w] = Task.Factory.StartNew(() => Work(worker, work, onVerified, token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        Task.WaitAll(threads, CancellationToken.None); // all of them, cancelled or not: each holds a buffer of the pool
        long recovered = Interlocked.Read(ref _intact);
        long left = _counters.PendingVerification;
        double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        FlashDeviceLog.DeferredVerified(_logger, _file.Path, recovered, work.Length - recovered - left, left, milliseconds);
    }

    /// <summary>
    /// One worker: takes the next block until none is left or the device closes; beside foreground reads only worker 0
    /// goes on, resting <see cref="RestPerWork"/> times as long as each block took.
    /// </summary>
    private void Work(int worker, (RecoveredBlock Block, FlashSlotHeader Header)[] work,
        Action<RecoveredBlock, bool, CancellationToken> onVerified, CancellationToken token)
    {
        byte* buffer = _pool.Rent();
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (worker > 0 && _foreground.Busy)
                {
                    token.WaitHandle.WaitOne(PollWhileReading);
                    continue;
                }

                int i = Interlocked.Increment(ref _next);
                if (i >= work.Length)
                {
                    return;
                }

                long began = Stopwatch.GetTimestamp();
                (RecoveredBlock block, FlashSlotHeader header) = work[i];
                bool verified = Settle(buffer, header);
                if (verified)
                {
                    Interlocked.Increment(ref _intact);
                }

                onVerified(block, verified, token);
                _counters.Settled();
                if (_foreground.Busy)
                {
                    token.WaitHandle.WaitOne(Stopwatch.GetElapsedTime(began) * RestPerWork);
                }
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    /// <summary>Checks one deferred block's payload: makes it readable when intact, counts and zeroes it otherwise.</summary>
    private bool Settle(byte* buffer, in FlashSlotHeader header)
    {
        FlashPayloadCheck outcome;
        try
        {
            var io = new Span<byte>(buffer, FlashGeometry.IoBytes(header.StoredLength));
            outcome = _verifier.CheckPayload(io, _file.ReadSlot(io, header.Slot), header);
        }
        catch (IOException)
        {
            outcome = FlashPayloadCheck.PayloadLost; // unreadable now; never indexed on a guess
        }

        switch (outcome)
        {
            case FlashPayloadCheck.Intact:
                _slots.Remember(header.Slot, header.Key, header.RawLength, header.StoredLength, header.PayloadChecksum);
                _counters.VerifiedAfterOpen();
                return true;
            case FlashPayloadCheck.Forged:
                _counters.AuthenticationFailure();
                break;
            default:
                _counters.LostWrite();
                break;
        }

        _slots.Invalidated(header.Slot, _release.Release(header.Slot, FlashGeometry.IoBytes(header.StoredLength)));
        return false;
    }
}
