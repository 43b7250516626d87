using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Reads a trace file's bytes, gunzipping transparently when the file starts with the gzip magic (1f 8b) whatever
/// its extension.
/// </summary>
/// <remarks>
/// .NET's <see cref="GZipStream"/> returns a silently shortened stream for truncated input, so the decompressed
/// bytes are checked against the gzip trailer (CRC-32 and length, RFC 1952 §2.3.1). That covers single-member gzip,
/// which is what every trace tool writes.
/// </remarks>
internal static class TraceInput
{
    private const int GzipHeaderBytes = 10;
    private const int GzipTrailerBytes = 8;

    /// <summary>
    /// Parses the file's content (gunzipped when it is gzip) with <paramref name="parse"/>, from a buffer rented from
    /// <see cref="ArrayPool{T}.Shared"/> and returned afterwards.
    /// </summary>
    public static T Parse<T>(string path, Func<ReadOnlySpan<byte>, T> parse)
    {
        byte[] buffer = ReadRented(path, out int length);
        try
        {
            return parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The file's content in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it. A plain
    /// file is read straight into the rented buffer (no second copy); a gzip file is decompressed from it.
    /// </summary>
    public static byte[] ReadRented(string path, out int length)
    {
        byte[] raw;
        int rawLength;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan))
        {
            long size = file.Length;
            if (size > Array.MaxLength)
            {
                TraceThrow.Format(path, 0, $"the file is {size} bytes; a trace file holds at most {Array.MaxLength}.");
            }

            raw = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
            rawLength = file.ReadAtLeast(raw.AsSpan(0, (int)size), (int)size, throwOnEndOfStream: false);
        }

        if (rawLength < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            length = rawLength;
            return raw;
        }

        try
        {
            return Gunzip(path, raw, rawLength, out length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private static byte[] Gunzip(string path, byte[] raw, int rawLength, out int length)
    {
        if (rawLength < GzipHeaderBytes + GzipTrailerBytes)
        {
            TraceThrow.Format(path, 0, $"truncated gzip data ({rawLength} bytes).");
        }

        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(rawLength - 8));
        uint expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(rawLength - 4));

        // The trailer's size is a good first guess; a truncated file's trailer is garbage, so cap the guess.
        long guess = expectedSize > 0 && expectedSize <= 64L * rawLength + 1024 ? expectedSize + 1L : 4L * rawLength;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(guess, Array.MaxLength));
        int total = 0;
        try
        {
            using var input = new MemoryStream(raw, 0, rawLength, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                if (total == buffer.Length)
                {
                    buffer = Grow(buffer, total);
                }

                int read = gzip.Read(buffer, total, buffer.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (InvalidDataException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            TraceThrow.Format(path, 0, $"corrupt gzip data: {ex.Message}", ex);
        }

        if ((uint)total != expectedSize || Crc32.HashToUInt32(buffer.AsSpan(0, total)) != expectedCrc)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            TraceThrow.Format(path, 0,
                $"truncated or corrupt gzip data: {total} bytes decompressed do not match the gzip trailer.");
        }

        length = total;
        return buffer;
    }

    private static byte[] Grow(byte[] buffer, int used)
    {
        long size = Math.Min(2L * buffer.Length, Array.MaxLength);
        if (size <= used)
        {
            throw new InvalidDataException("Decompressed trace exceeds the largest array.");
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)size);
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }
}
