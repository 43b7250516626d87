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
    private readonly CheckedSlots _slots = new(slotCount);
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

    public IReadOnlyCollection<string> Violations => _slots.Violations;

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        _slots.Enter(slot, "ReadAsync", exclusive: false);
        try
        {
            await Gate(cancellationToken);
            Interlocked.Increment(ref _asyncReads);
            return _slots.Read(slot, key, destination.Span);
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public async ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _slots.Enter(slot, "WriteAsync", exclusive: true);
        try
        {
            await Gate(cancellationToken);
            _slots.Store(slot, key, payload.Span);
            Interlocked.Increment(ref _asyncWrites);
        }
        finally
        {
            _slots.Exit(slot);
        }
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        _slots.Enter(slot, "Write", exclusive: true);
        _slots.Store(slot, key, payload);
        _slots.Exit(slot);
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) => _slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => _slots.PayloadLength(slot);

    public void Free(int slot) => _slots.Free(slot);

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
}
