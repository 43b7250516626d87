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
    /// The file's content in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// </summary>
    public static byte[] ReadRented(string path, out int length)
    {
        byte[] raw = File.ReadAllBytes(path);

        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(raw.Length, 1));
            raw.CopyTo(copy, 0);
            length = raw.Length;
            return copy;
        }

        return Gunzip(path, raw, out length);
    }

    private static byte[] Gunzip(string path, byte[] raw, out int length)
    {
        if (raw.Length < GzipHeaderBytes + GzipTrailerBytes)
        {
            TraceThrow.Format(path, 0, $"truncated gzip data ({raw.Length} bytes).");
        }

        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 8));
        uint expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4));

        // The trailer's size is a good first guess; a truncated file's trailer is garbage, so cap the guess.
        long guess = expectedSize > 0 && expectedSize <= 64L * raw.Length + 1024 ? expectedSize + 1L : 4L * raw.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(guess, Array.MaxLength));
        int total = 0;
        try
        {
            using var input = new MemoryStream(raw, writable: false);
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
