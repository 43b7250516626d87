using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A remote-like tier written for the restore tests (not a shipped device): blocks in memory, reads awaited with a
/// window of them in flight (<see cref="IConcurrentReads"/>), each delayed so that they end in the reverse of the order
/// they were sent, and chosen blocks' reads failing as corrupt or as unreachable (<see cref="IReadFailureReporting"/>),
/// as the Redis tier's do when a value fails verification or the server times out. Counts each block's reads.
/// </summary>
/// <remarks>Not sealed: <see cref="SharedRemoteLikeDevice"/> adds what a shared server keeps after the store lets go.</remarks>
internal class RemoteLikeDevice(int slotCount, int slotBytes, int readWindow) : IConcurrentReads, IReadFailureReporting
{
    private readonly MemoryDevice _inner = new(slotCount, slotBytes);
    private readonly ConcurrentDictionary<BlockKey, ReadFailure> _faults = new();
    private readonly ReadFailure[] _causes = new ReadFailure[slotCount];
    private readonly ConcurrentDictionary<BlockKey, int> _reads = new();
    private readonly ConcurrentDictionary<BlockKey, TaskCompletionSource> _stalls = new();
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;
    private int _sent;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => readWindow;

    /// <summary>The most reads in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>While set, the server does not answer: every read misses as unreachable, as a Redis tier's does when it is down.</summary>
    public volatile bool Down;

    /// <summary>Reads of <paramref name="key"/> miss with <paramref name="cause"/> from now on.</summary>
    public void Fail(BlockKey key, ReadFailure cause) => _faults[key] = cause;

    /// <summary>Reads of <paramref name="key"/> succeed again.</summary>
    public void Heal(BlockKey key) => _faults.TryRemove(key, out _);

    /// <summary>Reads of <paramref name="key"/> wait, as on a server that does not answer, until <see cref="Answer"/> or their cancellation.</summary>
    public void Stall(BlockKey key) => _stalls[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets reads of <paramref name="key"/> that <see cref="Stall"/> holds go on.</summary>
    public void Answer(BlockKey key)
    {
        if (_stalls.TryRemove(key, out TaskCompletionSource? gate))
        {
            gate.SetResult();
        }
    }

    /// <summary>Completes once a read waits on a stalled block.</summary>
    public Task Stalled => _stalled.Task;

    /// <summary>How many block reads the device served or failed, all keys together.</summary>
    public int TotalReads => _reads.Values.Sum();

    /// <summary>How many times <paramref name="key"/> was read (by slot or, on a shared device, fetched by key).</summary>
    public int ReadsOf(BlockKey key) => _reads.GetValueOrDefault(key);

    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = MaxInFlight; now > seen; seen = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }

        try
        {
            int order = Interlocked.Increment(ref _sent) % 4;
            await Task.Delay(TimeSpan.FromMilliseconds(1 + (4 - order)), cancellationToken);
            if (_stalls.TryGetValue(key, out TaskCompletionSource? gate))
            {
                _stalled.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            return Read(slot, key, destination.Span);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Write(slot, key, parent, payload.Span);
        return ValueTask.CompletedTask;
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _inner.Write(slot, key, parent, payload);
        Written(key, parent, payload);
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        if (Failing(key) is { } cause)
        {
            _causes[slot] = cause;
            return -1;
        }

        return _inner.Read(slot, key, destination);
    }

    /// <summary>A block was written (a shared device keeps it by key).</summary>
    protected virtual void Written(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
    }

    /// <summary>Counts a read of <paramref name="key"/>; the cause it fails with, or null.</summary>
    protected ReadFailure? Failing(in BlockKey key)
    {
        _reads.AddOrUpdate(key, 1, static (_, n) => n + 1);
        return Down ? ReadFailure.Unreachable : _faults.TryGetValue(key, out ReadFailure cause) ? cause : null;
    }

    public ReadFailure LastReadFailure(int slot) => _causes[slot];

    public int PayloadLength(int slot) => _inner.PayloadLength(slot);

    public void Free(int slot) => _inner.Free(slot);

    public void Dispose() => _inner.Dispose();
}
