using System.Buffers;

namespace KvTiering.Devices;

/// <summary>
/// One native, page-aligned I/O buffer as <see cref="Memory{T}"/>, so it can be handed to
/// <see cref="RandomAccess.ReadAsync(Microsoft.Win32.SafeHandles.SafeFileHandle, Memory{byte}, long, CancellationToken)"/>;
/// made once per buffer of an <see cref="AlignedBufferPool"/>, so an asynchronous I/O allocates no manager.
/// </summary>
internal sealed unsafe class NativeBufferMemory(byte* buffer, int length) : MemoryManager<byte>
{
    public byte* Pointer => buffer;

    public override Span<byte> GetSpan() => new(buffer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(buffer + elementIndex); // native memory never moves

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
