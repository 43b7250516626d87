using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace KvTiering.Simulation.Traces;

internal static partial class TraceCache
{
    /// <summary>
    /// Reads the cached trace in <paramref name="file"/> when it exists, belongs to <paramref name="key"/> and is
    /// intact; null otherwise (missing, stale, truncated, corrupt or unreadable).
    /// </summary>
    public static Trace? TryLoad(string file, string key)
    {
        if (!BitConverter.IsLittleEndian || !File.Exists(file))
        {
            return null;
        }

        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(stream, key);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Trace? Read(FileStream stream, string key)
    {
        var hasher = new XxHash3();
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (!TryRead(stream, hasher, header) || !header[..8].SequenceEqual(Magic) ||
            BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != FormatVersion)
        {
            return null;
        }

        int blockTokens = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int requests = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int unique = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        long references = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        int nameLength = BinaryPrimitives.ReadInt32LittleEndian(header[36..]);

        // Check the length before allocating anything a corrupt header asks for.
        long expected = ExpectedLength(requests, references, keyLength, nameLength);
        if (expected < 0 || stream.Length != expected || blockTokens <= 0 || unique < 0)
        {
            return null;
        }

        byte[] keyBytes = new byte[keyLength];
        byte[] nameBytes = new byte[nameLength];
        if (!TryRead(stream, hasher, keyBytes) || !TryRead(stream, hasher, nameBytes) ||
            !keyBytes.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(key)))
        {
            return null;
        }

        var time = new double[requests];
        var session = new long[requests];
        var input = new int[requests];
        var output = new int[requests];
        var starts = new int[requests + 1];
        var ends = new TurnEnd[requests];
        var response = new double[requests];
        // Every byte is about to be overwritten from the file: skip zeroing the largest column.
        int[] blocks = GC.AllocateUninitializedArray<int>((int)references);
        Span<byte> checksum = stackalloc byte[8];
        if (!TryRead(stream, hasher, MemoryMarshal.AsBytes(time.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(session.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(input.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(output.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(starts.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(blocks.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(ends.AsSpan())) ||
            !TryRead(stream, hasher, MemoryMarshal.AsBytes(response.AsSpan())) ||
            stream.ReadAtLeast(checksum, 8, throwOnEndOfStream: false) != 8 ||
            BinaryPrimitives.ReadUInt64LittleEndian(checksum) != hasher.GetCurrentHashAsUInt64() ||
            starts[requests] != references)
        {
            return null;
        }

        return new Trace(Encoding.UTF8.GetString(nameBytes), blockTokens, time, session, input, output, starts, blocks,
            unique)
        {
            TurnEnds = ends.AsSpan().ContainsAnyExcept(TurnEnd.Unknown) ? ends : null,
            ResponseSeconds = response.AsSpan().ContainsAnyExcept(0.0) ? response : null,
        };
    }

    private static bool TryRead(FileStream stream, XxHash3 hasher, Span<byte> destination)
    {
        if (stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) != destination.Length)
        {
            return false;
        }

        hasher.Append(destination);
        return true;
    }
}
