using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A tier written for the prefetch-window tests (not a shipped device): it declares <see cref="IConcurrentReads"/>, holds
/// each asynchronous read at a gate the test opens (or for a fixed delay), counts how many reads were in flight at once,
/// and can fail chosen blocks' reads (-1, or an exception). It checks the store's contract (no Free or Write of a slot
/// while a read of it is in flight).
/// </summary>
internal sealed class WindowedDevice(int slotCount, int slotBytes, int readWindow) : IConcurrentReads, IReadFailureReporting
{
    private readonly CheckedSlots _slots = new(slotCount);
    private readonly ConcurrentDictionary<BlockKey, bool> _faults = new(); // true: throw; false: -1
    private readonly ConcurrentDictionary<BlockKey, bool> _unreachable = new();
    private readonly ReadFailure[] _causes = new ReadFailure[slotCount];
    private TaskCompletionSource _gate = Opened();
    private int _inFlight;
    private int _maxInFlight;
    private int _pending;
    private int _cancelled;
    private int _frees;
    private int _sent;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => readWindow;

    /// <summary>How long each asynchronous read takes after the gate (default none).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// With a value, the reads end in the reverse of the order they were sent: the k-th read (from 0) waits
    /// (8 - k) times this after the gate (none from the 8th on).
    /// </summary>
    public TimeSpan Stagger { get; set; }

    /// <summary>
    /// Whether a synchronous <see cref="Read"/> also waits at the gate, counts as a read in flight and fails as
    /// <see cref="Fail"/> says (default: it runs at once, uncounted, as the window tests before lookups took places expect).
    /// </summary>
    public bool GatesSyncReads { get; set; }

    /// <summary>Reads waiting at the closed gate right now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The most asynchronous reads ever in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public int Frees => Volatile.Read(ref _frees);

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    /// <summary>Makes every later read of <paramref name="key"/> throw an <see cref="IOException"/> (or, with false, return -1).</summary>
    public void Fail(BlockKey key, bool throws) => _faults[key] = throws;

    /// <summary>Makes every later read of <paramref name="key"/> miss as one the device could not reach (a remote timeout).</summary>
    public void Unreachable(BlockKey key) => _unreachable[key] = true;

    /// <summary>Lets <paramref name="key"/>'s reads reach the device again.</summary>
    public void Reachable(BlockKey key) => _unreachable.TryRemove(key, out _);

    public ReadFailure LastReadFailure(int slot) => _causes[slot];

    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        _slots.Enter(slot, "ReadAsync", exclusive: false);
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = MaxInFlight; now > seen; seen = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }

        int order = Interlocked.Increment(ref _sent) - 1;
        try
        {
            Interlocked.Increment(ref _pending);
            try
            {
                // Bounded, so a failing test ends instead of its store's Dispose waiting forever for a read held here.
                await _gate.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                TimeSpan wait = Delay + Stagger * Math.Max(0, 8 - order);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }

            if (_faults.TryGetValue(key, out bool throws))
            {
                _causes[slot] = ReadFailure.Corrupt;
                return throws ? throw new IOException($"injected read fault of block {key}") : -1;
            }

            if (_unreachable.ContainsKey(key))
            {
                _causes[slot] = ReadFailure.Unreachable;
                return -1;
            }

            return _slots.Read(slot, key, destination.Span);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slots.Exit(slot);
        }
    }

    /// <summary>A synchronous read held at the gate (<see cref="GatesSyncReads"/>) and counted as one in flight.</summary>
    private int GatedRead(int slot, in BlockKey key, Span<byte> destination)
    {
        _slots.Enter(slot, "Read", exclusive: false);
        int now = Interlocked.Increment(ref _inFlight);
        for (int seen = MaxInFlight; now > seen; seen = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, seen);
        }

        try
        {
            Interlocked.Increment(ref _pending);
            try
            {
                _gate.Task.Wait(TimeSpan.FromSeconds(10)); // bounded, as ReadAsync's wait is
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }

            if (_faults.TryGetValue(key, out bool throws))
            {
                _causes[slot] = ReadFailure.Corrupt;
                return throws ? throw new IOException($"injected read fault of block {key}") : -1;
            }

            return _slots.Read(slot, key, destination);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slots.Exit(slot);
        }
    }

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Write(slot, key, parent, payload.Span);
        return ValueTask.CompletedTask;
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _slots.Enter(slot, "Write", exclusive: true);
        _slots.Store(slot, key, payload);
        _slots.Exit(slot);
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        if (_unreachable.ContainsKey(key))
        {
            _causes[slot] = ReadFailure.Unreachable;
            return -1;
        }

        return GatesSyncReads ? GatedRead(slot, key, destination) : _slots.Read(slot, key, destination);
    }

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot)
    {
        _slots.Free(slot);
        Interlocked.Increment(ref _frees);
    }

    public void Dispose()
    {
    }

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
