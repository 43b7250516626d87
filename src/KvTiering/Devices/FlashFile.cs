using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// The open flash file: whole-slot aligned reads and writes at the geometry's offsets (synchronous and awaited), and
/// the zeroing of a slot's range or header that frees it on flash (<see cref="FlashSlotRelease"/> picks which).
/// <see cref="FlashFileOpener"/> creates, checks and opens it.
/// </summary>
/// <remarks>
/// Every I/O here is from or into a page-aligned buffer at a page-aligned offset, so it is valid under
/// <c>O_DIRECT</c> (<see cref="DirectFile"/>). Stateless beyond the handle: thread-safe for I/Os on different slots.
/// Not an unsafe class: an await may not sit in an unsafe context.
/// </remarks>
internal sealed class FlashFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly FlashGeometry _geometry;
    private readonly nint _zeroPage;   // one aligned page of zeros: a free slot's header

    public FlashFile(string path, SafeFileHandle handle, FlashGeometry geometry, bool directIO, string? bufferedReason,
        bool created, bool recreated, bool cutShort)
    {
        unsafe
        {
            _zeroPage = (nint)NativeMemory.AlignedAlloc(FlashGeometry.PageBytes, FlashGeometry.PageBytes);
            new Span<byte>((void*)_zeroPage, FlashGeometry.PageBytes).Clear();
        }

        Path = path;
        _handle = handle;
        _geometry = geometry;
        DirectIO = directIO;
        BufferedReason = bufferedReason;
        Created = created;
        Recreated = recreated;
        CutShort = cutShort;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The file descriptor, for tests that check its flags in <c>/proc/self/fdinfo</c>.</summary>
    public SafeFileHandle Handle => _handle;

    /// <summary>Whether the file is open with <c>O_DIRECT</c>.</summary>
    public bool DirectIO { get; }

    /// <summary>Why the file is open for buffered I/O when direct I/O was asked for; null otherwise.</summary>
    public string? BufferedReason { get; }

    /// <summary>Whether the open created the file (new, or recreated after moving a corrupt one aside): it holds no blocks.</summary>
    public bool Created { get; }

    /// <summary>Whether the open moved a corrupt file aside and recreated it.</summary>
    public bool Recreated { get; }

    /// <summary>Whether the open found the file shorter than its geometry (and extended it back): the blocks past the cut are lost.</summary>
    public bool CutShort { get; }

    /// <summary>
    /// Test seam: called with (file offset, length) before every write; returning true makes the write throw an
    /// <see cref="IOException"/>, as a full disk would.
    /// </summary>
    public Func<long, int, bool>? FailWrite { get; set; }

    /// <summary>Writes one aligned I/O at the start of <paramref name="slot"/>.</summary>
    public void WriteSlot(ReadOnlySpan<byte> bytes, int slot) => Write(bytes, _geometry.SlotOffset(slot));

    /// <summary>Reads one aligned I/O from the start of <paramref name="slot"/>; returns the bytes read (fewer at the file's end).</summary>
    public int ReadSlot(Span<byte> buffer, int slot) => ReadFully(_handle, buffer, _geometry.SlotOffset(slot));

    /// <summary>As <see cref="ReadSlot"/>, awaited.</summary>
    public async ValueTask<int> ReadSlotAsync(Memory<byte> buffer, int slot, CancellationToken cancellationToken)
    {
        long offset = _geometry.SlotOffset(slot);
        int read = 0;
        while (read < buffer.Length)
        {
            int got = await RandomAccess.ReadAsync(_handle, buffer[read..], offset + read, cancellationToken).ConfigureAwait(false);
            if (got <= 0)
            {
                break;
            }

            read += got;
        }

        return read;
    }

    /// <summary>As <see cref="WriteSlot"/>, awaited.</summary>
    public async ValueTask WriteSlotAsync(ReadOnlyMemory<byte> bytes, int slot, CancellationToken cancellationToken)
    {
        long offset = _geometry.SlotOffset(slot);
        try
        {
            ThrowIfInjected(offset, bytes.Length);
            await RandomAccess.WriteAsync(_handle, bytes, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw Named(ex, bytes.Length, offset);
        }
    }

    /// <summary>Zeroes <paramref name="slot"/>'s header; false when the write failed (the old header may still verify).</summary>
    public bool TryZeroHeader(int slot)
    {
        try
        {
            unsafe
            {
                Write(new ReadOnlySpan<byte>((void*)_zeroPage, FlashGeometry.PageBytes), _geometry.SlotOffset(slot));
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Zeroes the first <paramref name="length"/> bytes of <paramref name="slot"/> without writing them
    /// (<see cref="FileZeroRange"/>); <paramref name="errno"/> is the error of a call that failed. An injected write
    /// failure (<see cref="FailWrite"/>) fails it too: it stands for a device that takes nothing at that offset.
    /// </summary>
    public FileZeroRange.Outcome TryZeroRange(int slot, long length, out int errno)
    {
        long offset = _geometry.SlotOffset(slot);
        if (FailWrite is { } fail && fail(offset, (int)length))
        {
            errno = 28; // ENOSPC, as the injected write failure words it
            return FileZeroRange.Outcome.Failed;
        }

        return FileZeroRange.TryZero(_handle, offset, length, out errno);
    }

    /// <summary>Closes the file; the caller has ended every I/O.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        unsafe
        {
            NativeMemory.AlignedFree((void*)_zeroPage);
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    public static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (read <= 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private void Write(ReadOnlySpan<byte> bytes, long offset)
    {
        try
        {
            ThrowIfInjected(offset, bytes.Length);
            RandomAccess.Write(_handle, bytes, offset);
        }
        catch (IOException ex)
        {
            throw Named(ex, bytes.Length, offset);
        }
    }

    /// <summary>
    /// The error with the file named: the OS says only "No space left on device", and the store's warning logs this
    /// exception, so an operator with a full disk would not learn which file could not grow.
    /// </summary>
    private IOException Named(IOException ex, int length, long offset) =>
        new($"Writing {length} bytes at offset {offset} of flash file '{Path}' failed: {ex.Message}", ex);

    private void ThrowIfInjected(long offset, int length)
    {
        if (FailWrite is { } fail && fail(offset, length))
        {
            throw new IOException("No space left on device (injected)"); // as the OS words it: no file, no offset
        }
    }
}
