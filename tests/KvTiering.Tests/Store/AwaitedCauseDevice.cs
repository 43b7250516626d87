using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>A <see cref="CauseDevice"/> the store awaits (<see cref="IAsyncBlockDevice"/>), each read after a yield.</summary>
internal sealed class AwaitedCauseDevice(int slotCount, int slotBytes) : CauseDevice(slotCount, slotBytes), IAsyncBlockDevice
{
    public async ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return Read(slot, key, destination.Span);
    }

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Write(slot, key, parent, payload.Span);
        return ValueTask.CompletedTask;
    }
}
