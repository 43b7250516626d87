using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// A compact binary copy of a parsed trace, so later loads skip parsing: a header, the <see cref="Trace"/> columns
/// as raw little-endian arrays, and an XXH3 checksum of everything before it.
/// </summary>
/// <remarks>
/// The cache key holds the source's full path, length and modification time (every session file's, for a
/// directory), the reader options and <see cref="FormatVersion"/>; the file name is a hash of the key and the header
/// repeats the key, so a collision or a stale entry reads as a miss. A file whose length or checksum is wrong is
/// never trusted: the caller re-parses and overwrites it.
/// </remarks>
internal static class TraceCache
{
    /// <summary>Bump when the binary layout or a reader's output changes.</summary>
    public const int FormatVersion = 5; // 5: WEKA and Bailian sessions numbered from 1 (0 is "no session")

    private static ReadOnlySpan<byte> Magic => "KVTTRACE"u8;

    // Magic, version, block tokens, requests, unique blocks, references, key bytes, name bytes.
    private const int HeaderBytes = 8 + 4 + 4 + 4 + 4 + 8 + 4 + 4;

    /// <summary>The cache key of a source: what has to be unchanged for a cached copy to be valid.</summary>
    public static string Key(string fullPath, TraceFormat format, TraceLoadOptions options)
    {
        var key = new StringBuilder();
        key.Append(CultureInfo.InvariantCulture, $"v{FormatVersion}|{format}|{fullPath}");
        if (format == TraceFormat.Weka)
        {
            key.Append(CultureInfo.InvariantCulture,
                $"|stagger={options.StaggerSeconds:R}|shared={options.SharedToolPrefix}|isolate={options.IsolateSubagentHashes}" +
                $"|sessions={options.SessionRemainder}/{options.SessionModulus}");
        }

        string[] files = format == TraceFormat.Weka ? WekaTraceReader.SessionFiles(fullPath) : [fullPath];
        foreach (string file in files)
        {
            var info = new FileInfo(file);
            key.Append(CultureInfo.InvariantCulture,
                $"|{Path.GetFileName(file)}:{info.Length}:{info.LastWriteTimeUtc.Ticks}");
        }

        return key.ToString();
    }

    /// <summary>The cache file for a key.</summary>
    public static string FileFor(string directory, TraceFormat format, string key)
    {
        ulong hash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key));
        return Path.Combine(directory, $"{format.ToString().ToLowerInvariant()}-{hash:x16}.kvtrace");
    }

    /// <summary>Writes the trace to <paramref name="file"/> atomically (temp file, then rename).</summary>
    public static void Save(string file, string key, Trace trace)
    {
        if (!BitConverter.IsLittleEndian)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string temp = $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var hasher = new XxHash3();
                byte[] keyBytes = Encoding.UTF8.GetBytes(key);
                byte[] nameBytes = Encoding.UTF8.GetBytes(trace.Name);
                Span<byte> header = stackalloc byte[HeaderBytes];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
                BinaryPrimitives.WriteInt32LittleEndian(header[12..], trace.BlockTokens);
                BinaryPrimitives.WriteInt32LittleEndian(header[16..], trace.RequestCount);
                BinaryPrimitives.WriteInt32LittleEndian(header[20..], trace.UniqueBlocks);
                BinaryPrimitives.WriteInt64LittleEndian(header[24..], trace.References);
                BinaryPrimitives.WriteInt32LittleEndian(header[32..], keyBytes.Length);
                BinaryPrimitives.WriteInt32LittleEndian(header[36..], nameBytes.Length);
                Write(stream, hasher, header);
                Write(stream, hasher, keyBytes);
                Write(stream, hasher, nameBytes);
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.Time.AsSpan()));
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.Session.AsSpan()));
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.InputTokens.AsSpan()));
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.OutputTokens.AsSpan()));
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.RequestStart.AsSpan()));
                Write(stream, hasher, MemoryMarshal.AsBytes(trace.BlockIds.AsSpan()));
                Write(stream, hasher, trace.TurnEnds is { } ends ? MemoryMarshal.AsBytes(ends.AsSpan()) : new byte[trace.RequestCount]);
                Write(stream, hasher, trace.ResponseSeconds is { } response
                    ? MemoryMarshal.AsBytes(response.AsSpan())
                    : new byte[trace.RequestCount * sizeof(double)]);
                Span<byte> checksum = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(checksum, hasher.GetCurrentHashAsUInt64());
                stream.Write(checksum);
            }

            File.Move(temp, file, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The expected file length for a header's counts, or -1 when they are impossible.</summary>
    private static long ExpectedLength(int requests, long references, int keyBytes, int nameBytes)
    {
        if (requests < 0 || references < 0 || references > Array.MaxLength || keyBytes < 0 || nameBytes < 0)
        {
            return -1;
        }

        // Time, session and response seconds are 8 bytes a request; input, output and start 4 (start has one extra
        // entry); turn end 1.
        return HeaderBytes + (long)keyBytes + nameBytes + (requests * 37L) + 4 + (references * 4) + 8;
    }

    private static void Write(FileStream stream, XxHash3 hasher, ReadOnlySpan<byte> bytes)
    {
        hasher.Append(bytes);
        stream.Write(bytes);
    }

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
