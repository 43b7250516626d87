using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A tier written for the demotion-window tests (not a shipped device): it declares <see cref="IConcurrentReads"/> and
/// <see cref="IConcurrentWrites"/>, holds each asynchronous write (and each shared-tier copy, <see cref="CopyAsync"/>) at a gate the test opens (or at a gate of its block's own), counts how many writes were
/// in flight at once and how many landed, and can fail chosen blocks' writes (an <see cref="IOException"/>, or another
/// exception). Reads are answered at once. It checks the store's contract (no two calls on a slot where one writes,
/// no Free during an I/O).
/// </summary>
internal sealed class WindowedWriteDevice(int slotCount, int slotBytes, int readWindow, int writeWindow) : IConcurrentReads, IConcurrentWrites
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ConcurrentDictionary<BlockKey, bool> _faults = new(); // true: IOException; false: another exception
    private readonly ConcurrentDictionary<BlockKey, TaskCompletionSource> _held = new(); // per-block gates
    private TaskCompletionSource _gate = Opened();
    private int _inFlight;
    private int _maxInFlight;
    private int _pending;
    private int _landed;
    private int _syncWrites;
    private int _afterDispose;
    private volatile bool _disposed;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => readWindow;

    public int WriteWindow => writeWindow;

    /// <summary>Asynchronous writes waiting at the closed gate right now.</summary>
    public int PendingWrites => Volatile.Read(ref _pending);

    /// <summary>The most asynchronous writes ever in flight at once.</summary>
    public int MaxWritesInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Asynchronous writes that ended (stored, or failed as told).</summary>
    public int LandedWrites => Volatile.Read(ref _landed);

    /// <summary>Writes made through the synchronous <see cref="Write"/>.</summary>
    public int SyncWrites => Volatile.Read(ref _syncWrites);

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    /// <summary>Copies of blocks to the shared tier (<see cref="CopyAsync"/>) that landed, by key.</summary>
    public ConcurrentDictionary<BlockKey, byte[]> Copies { get; } = new();

    /// <summary>Writes (slot writes or copies) begun after <see cref="Dispose"/>: the store must send none.</summary>
    public int WritesAfterDispose => Volatile.Read(ref _afterDispose);

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    /// <summary>Holds the next write of <paramref name="key"/> at a gate of its own, whatever the shared gate, until <see cref="Release"/>.</summary>
    public void Hold(BlockKey key) => _held[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the write of <paramref name="key"/> held by <see cref="Hold"/> go on.</summary>
    public void Release(BlockKey key)
    {
        if (_held.TryRemove(key, out TaskCompletionSource? gate))
        {
            gate.TrySetResult();
        }
    }

    /// <summary>Makes every later write of <paramref name="key"/> throw an <see cref="IOException"/> (or, with false, an <see cref="InvalidOperationException"/>).</summary>
    public void Fail(BlockKey key, bool io) => _faults[key] = io;

    public ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        _slots.Enter(slot, "ReadAsync", exclusive: false);
        try
        {
            return ValueTask.FromResult(_slots.Read(slot, key, destination.Span));
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _slots.Enter(slot, "WriteAsync", exclusive: true);
        CountBegun();
        try
        {
            await AtGateAsync(key);
            _slots.Store(slot, key, payload.Span);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _landed);
            _slots.Exit(slot);
        }
    }

    /// <summary>
    /// A copy to the shared tier (a share's write: no slot), held at the gates and counted in flight with the slot
    /// writes, as a Redis server counts every <c>SET</c> on its connection.
    /// </summary>
    public async ValueTask CopyAsync(BlockKey key, ReadOnlyMemory<byte> payload)
    {
        CountBegun();
        try
        {
            await AtGateAsync(key);
            Copies[key] = payload.ToArray();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _landed);
        }
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        Interlocked.Increment(ref _syncWrites);
        _slots.Enter(slot, "Write", exclusive: true);
        try
        {
            if (_faults.TryGetValue(key, out bool io) && io)
            {
                throw new IOException($"injected write fault of block {key}");
            }

            _slots.Store(slot, key, payload);
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) => _slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

    public void Dispose() => _disposed = true;

    private void CountBegun()
    {
        if (_disposed)
        {
            Interlocked.Increment(ref _afterDispose);
        }

        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = MaxWritesInFlight; now > seen; seen = MaxWritesInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }
    }

    private async Task AtGateAsync(BlockKey key)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            // Bounded, so a failing test ends instead of its store's Dispose waiting forever for a write held here.
            Task gate = _held.TryGetValue(key, out TaskCompletionSource? own) ? own.Task : _gate.Task;
            await gate.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }

        if (_faults.TryGetValue(key, out bool io))
        {
            throw io ? new IOException($"injected write fault of block {key}") : new InvalidOperationException($"device bug writing block {key}");
        }
    }

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
