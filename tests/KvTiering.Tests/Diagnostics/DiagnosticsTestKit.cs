using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Diagnostics;

/// <summary>A memory device whose reads can be made to fail verification and whose writes can be made to fail.</summary>
internal sealed class FaultyDevice(int slots, int slotBytes) : IBlockDevice, IReadFailureReporting
{
    private readonly MemoryDevice _inner = new(slots, slotBytes);

    public bool FailReads { get; set; }

    /// <summary>The cause a failed read reports (<see cref="ReadFailure.Unknown"/>: the device does not say, as before).</summary>
    public ReadFailure Cause { get; set; }

    public ReadFailure LastReadFailure(int slot) => Cause;

    public bool FailWrites { get; set; }

    /// <summary>Whether a failed write fails for want of space (ENOSPC, as .NET reports it on Linux) rather than an I/O error.</summary>
    public bool NoSpace { get; set; }

    public int SlotCount => _inner.SlotCount;

    public int SlotBytes => _inner.SlotBytes;

    public bool StoresPayload => true;

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        if (FailWrites)
        {
            throw NoSpace ? new IOException("injected write failure: no space left on device", 28) : new IOException("injected write failure");
        }

        _inner.Write(slot, key, parent, payload);
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) => FailReads ? -1 : _inner.Read(slot, key, destination);

    public int PayloadLength(int slot) => _inner.PayloadLength(slot);

    public void Free(int slot) => _inner.Free(slot);

    public void Dispose() => _inner.Dispose();
}
