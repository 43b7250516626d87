using System.Diagnostics;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice : IDeferredRecovery
{
    private readonly CancellationTokenSource _deferredCancel = new();
    private (RecoveredBlock Block, FlashSlotHeader Header)[] _deferred = [];
    private Task? _deferredWork;
    private long _verifiedAfterOpen;
    private long _pendingVerification;

    /// <inheritdoc />
    IReadOnlyList<RecoveredBlock> IDeferredRecovery.Deferred
    {
        get
        {
            ScanOnce();
            return Array.ConvertAll(_deferred, static d => d.Block);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Newest first, as at open, with at most half the queue depth of I/Os in flight (at least one), so foreground
    /// reads keep the other half of the buffer pool. A block that fails is counted (lost write or authentication) and
    /// its header zeroed, as at open.
    /// </remarks>
    void IDeferredRecovery.VerifyDeferred(Action<RecoveredBlock, bool, CancellationToken> onVerified)
    {
        ArgumentNullException.ThrowIfNull(onVerified);
        ScanOnce();
        lock (_scanLock)
        {
            if (_deferredWork is not null || _deferred.Length == 0 || _disposed != 0)
            {
                return;
            }

            (RecoveredBlock Block, FlashSlotHeader Header)[] work = _deferred;
            CancellationToken token = _deferredCancel.Token;
            _deferredWork = Task.Factory.StartNew(() => VerifyDeferred(work, onVerified, token), token,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>Remembers what <see cref="Scan"/> left found, newest first.</summary>
    private void Defer(List<(RecoveredBlock Block, FlashSlotHeader Header)> found)
    {
        if (_deferredWork is not null)
        {
            return; // a rescan while the background runs: the slots it holds are the store's, keep its list
        }

        found.Sort(static (a, b) => b.Block.Generation.CompareTo(a.Block.Generation));
        _deferred = [.. found];
        Volatile.Write(ref _pendingVerification, found.Count);
    }

    private void VerifyDeferred((RecoveredBlock Block, FlashSlotHeader Header)[] work,
        Action<RecoveredBlock, bool, CancellationToken> onVerified, CancellationToken token)
    {
        long start = Stopwatch.GetTimestamp();
        int next = -1;
        int workers = Math.Max(1, QueueDepth / 2);
        long intact = 0;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            byte* buffer = _pool.Rent();
            try
            {
                int i;
                while (!token.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < work.Length)
                {
                    (RecoveredBlock block, FlashSlotHeader header) = work[i];
                    bool verified = Settle(buffer, header);
                    if (verified)
                    {
                        Interlocked.Increment(ref intact);
                    }

                    onVerified(block, verified, token);
                    Interlocked.Decrement(ref _pendingVerification);
                }
            }
            finally
            {
                _pool.Return(buffer);
            }
        });

        long recovered = Interlocked.Read(ref intact);
        long left = Volatile.Read(ref _pendingVerification);
        double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        FlashDeviceLog.DeferredVerified(_logger, FilePath, recovered, work.Length - recovered - left, left, milliseconds);
    }

    /// <summary>Checks one deferred block's payload: makes it readable when intact, counts and zeroes it otherwise.</summary>
    private bool Settle(byte* buffer, in FlashSlotHeader header)
    {
        byte outcome;
        try
        {
            outcome = CheckPayload(buffer, header);
        }
        catch (IOException)
        {
            outcome = PayloadLost; // unreadable now; never indexed on a guess
        }

        switch (outcome)
        {
            case Intact:
                Remember(header.Slot, header.Key, header.RawLength, header.StoredLength, header.PayloadChecksum);
                Interlocked.Increment(ref _verifiedAfterOpen);
                return true;
            case Forged:
                Interlocked.Increment(ref _authenticationFailures);
                break;
            default:
                Interlocked.Increment(ref _lostWrites);
                break;
        }

        InvalidateHeader(header.Slot);
        return false;
    }

    /// <summary>Stops the background verification and waits for it, before the file and the buffers go.</summary>
    private void StopDeferred()
    {
        _deferredCancel.Cancel();
        Task? work;
        lock (_scanLock)
        {
            work = _deferredWork;
        }

        try
        {
            work?.Wait();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(static e => e is OperationCanceledException))
        {
        }

        _deferredCancel.Dispose();
    }
}
