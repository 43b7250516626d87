using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A shared tier that takes writes in flight together, for the store-wide write-window tests (not a shipped device):
/// its slots are a <see cref="WindowedWriteDevice"/>'s (gated, counted), and its shares (<see cref="ShareAsync"/>) are
/// that device's copies, counted in flight with its slot writes, as the Redis device's <c>SET</c>s share one
/// connection. It holds no block another store put: every fetch misses.
/// </summary>
internal sealed class SharedWindowedWriteDevice(WindowedWriteDevice slots) : IConcurrentReads, IConcurrentWrites, IRemoteBlockSource
{
    public int SlotCount => slots.SlotCount;

    public int SlotBytes => slots.SlotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => slots.ReadWindow;

    public int WriteWindow => slots.WriteWindow;

    public bool CanShare => true;

    public ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken) =>
        slots.ReadAsync(slot, key, destination, cancellationToken);

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        slots.WriteAsync(slot, key, parent, payload, cancellationToken);

    public ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        slots.CopyAsync(key, payload);

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => slots.Write(slot, key, parent, payload);

    public int Read(int slot, in BlockKey key, Span<byte> destination) => slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => slots.PayloadLength(slot);

    public void Free(int slot) => slots.Free(slot);

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        parent = BlockKey.Empty;
        failure = ReadFailure.Lost;
        return -1;
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys) => 0;

    public void Dispose() => slots.Dispose();
}
