using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A tier written for the asynchronous-path tests (not a shipped device): slots in managed arrays; asynchronous reads
/// and writes wait, without a thread, for the test to open a gate and honour cancellation meanwhile. It checks the
/// store's contract (no Free or Write of a slot while another call on it is in flight).
/// </summary>
internal sealed class AwaitableDevice(int slotCount, int slotBytes) : IAsyncBlockDevice
{
    private readonly byte[]?[] _bytes = new byte[slotCount][];
    private readonly BlockKey[] _keys = new BlockKey[slotCount];
    private readonly int[] _busy = new int[slotCount];
    private readonly ConcurrentQueue<string> _violations = new();
    private TaskCompletionSource _gate = Opened();
    private int _pending;
    private int _asyncReads;
    private int _asyncWrites;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    /// <summary>Asynchronous calls waiting at the closed gate right now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public int AsyncReads => Volatile.Read(ref _asyncReads);

    public int AsyncWrites => Volatile.Read(ref _asyncWrites);

    public IReadOnlyCollection<string> Violations => _violations;

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Enter(slot, "ReadAsync", exclusive: false);
        try
        {
            await Gate(cancellationToken);
            Interlocked.Increment(ref _asyncReads);
            return Read(slot, key, destination.Span);
        }
        finally
        {
            Exit(slot);
        }
    }

    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Enter(slot, "WriteAsync", exclusive: true);
        try
        {
            await Gate(cancellationToken);
            Store(slot, key, payload.Span);
            Interlocked.Increment(ref _asyncWrites);
        }
        finally
        {
            Exit(slot);
        }
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        Enter(slot, "Write", exclusive: true);
        Store(slot, key, payload);
        Exit(slot);
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        lock (_bytes)
        {
            if (_bytes[slot] is not { } bytes || !_keys[slot].Equals(key))
            {
                return -1;
            }

            bytes.CopyTo(destination);
            return bytes.Length;
        }
    }

    public int PayloadLength(int slot)
    {
        lock (_bytes)
        {
            return _bytes[slot]?.Length ?? 0;
        }
    }

    public void Free(int slot)
    {
        if (Volatile.Read(ref _busy[slot]) != 0)
        {
            _violations.Enqueue($"Free of slot {slot} during an I/O");
        }

        lock (_bytes)
        {
            _bytes[slot] = null;
            _keys[slot] = BlockKey.Empty;
        }
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

    private async Task Gate(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private void Store(int slot, in BlockKey key, ReadOnlySpan<byte> payload)
    {
        lock (_bytes)
        {
            _bytes[slot] = payload.ToArray();
            _keys[slot] = key;
        }
    }

    private void Enter(int slot, string what, bool exclusive)
    {
        if (Interlocked.Increment(ref _busy[slot]) != 1 && exclusive)
        {
            _violations.Enqueue($"{what} of slot {slot} concurrent with another call on it");
        }
    }

    private void Exit(int slot) => Interlocked.Decrement(ref _busy[slot]);
}
