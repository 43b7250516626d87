using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KvTiering.LLamaSharp.Gguf;

/// <summary>
/// Writes a GGUF (version 3) file: header, metadata key/values, tensor infos, then each tensor's data aligned to
/// <see cref="Alignment"/>. Tensor data is produced by a callback and streamed, so a file of hundreds of megabytes
/// never sits in memory.
/// </summary>
/// <remarks>Format: ggml's docs/gguf.md (magic "GGUF", little-endian, strings as u64 length + UTF-8 bytes).</remarks>
internal sealed class GgufWriter
{
    public const int Alignment = 32;

    private const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    private const uint Version = 3;

    private readonly List<(string Key, Action<BinaryWriter> WriteValue)> _metadata = [];
    private readonly List<TensorSpec> _tensors = [];

    public void Add(string key, uint value) => _metadata.Add((key, w => { w.Write((uint)GgufType.UInt32); w.Write(value); }));

    public void Add(string key, float value) => _metadata.Add((key, w => { w.Write((uint)GgufType.Float32); w.Write(value); }));

    public void Add(string key, bool value) => _metadata.Add((key, w => { w.Write((uint)GgufType.Bool); w.Write((byte)(value ? 1 : 0)); }));

    public void Add(string key, string value) => _metadata.Add((key, w => { w.Write((uint)GgufType.String); WriteString(w, value); }));

    public void Add(string key, IReadOnlyList<string> values) => _metadata.Add((key, w =>
    {
        w.Write((uint)GgufType.Array);
        w.Write((uint)GgufType.String);
        w.Write((ulong)values.Count);
        foreach (string v in values)
        {
            WriteString(w, v);
        }
    }));

    public void Add(string key, IReadOnlyList<float> values) => _metadata.Add((key, w =>
    {
        w.Write((uint)GgufType.Array);
        w.Write((uint)GgufType.Float32);
        w.Write((ulong)values.Count);
        foreach (float v in values)
        {
            w.Write(v);
        }
    }));

    public void Add(string key, IReadOnlyList<int> values) => _metadata.Add((key, w =>
    {
        w.Write((uint)GgufType.Array);
        w.Write((uint)GgufType.Int32);
        w.Write((ulong)values.Count);
        foreach (int v in values)
        {
            w.Write(v);
        }
    }));

    /// <summary>
    /// Adds a tensor of <paramref name="dims"/> (ggml order: innermost first). <paramref name="fill"/> writes its
    /// elements as floats, row after row, into the spans it is handed; they are converted to <paramref name="type"/>.
    /// </summary>
    public void AddTensor(string name, GgmlType type, long[] dims, Action<Span<float>, long> fill) =>
        _tensors.Add(new TensorSpec(name, type, dims, fill));

    public void Write(string path)
    {
        // A temporary name of its own: two processes (parallel test hosts, a server and its load generator) may
        // write the same model at once; each renames a complete file over the other's, never a torn one.
        string temp = string.Create(CultureInfo.InvariantCulture, $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            WriteTo(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private void WriteTo(string temp)
    {
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach ((string key, Action<BinaryWriter> writeValue) in _metadata)
            {
                WriteString(w, key);
                writeValue(w);
            }

            ulong offset = 0;
            foreach (TensorSpec t in _tensors)
            {
                WriteString(w, t.Name);
                w.Write((uint)t.Dims.Length);
                foreach (long d in t.Dims)
                {
                    w.Write((ulong)d);
                }

                w.Write((uint)t.Type);
                w.Write(offset);
                offset = Align(offset + (ulong)t.ByteCount);
            }

            Pad(w);
            foreach (TensorSpec t in _tensors)
            {
                WriteData(w, t);
                Pad(w);
            }
        }
    }

    private static void WriteData(BinaryWriter w, TensorSpec t)
    {
        long rowLength = t.Dims[0];
        long rows = t.ElementCount / rowLength;
        var row = new float[rowLength];
        int elementBytes = t.Type == GgmlType.F32 ? 4 : 2;
        var bytes = new byte[rowLength * elementBytes];
        for (long r = 0; r < rows; r++)
        {
            t.Fill(row, r);
            if (t.Type == GgmlType.F32)
            {
                for (int i = 0; i < row.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), row[i]);
                }
            }
            else
            {
                for (int i = 0; i < row.Length; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)row[i]);
                }
            }

            w.Write(bytes);
        }
    }

    private static void Pad(BinaryWriter w)
    {
        long position = w.BaseStream.Position;
        long padded = (long)Align((ulong)position);
        for (long i = position; i < padded; i++)
        {
            w.Write((byte)0);
        }
    }

    private static ulong Align(ulong value) => (value + Alignment - 1) / Alignment * Alignment;

    private static void WriteString(BinaryWriter w, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private sealed record TensorSpec(string Name, GgmlType Type, long[] Dims, Action<Span<float>, long> Fill)
    {
        public long ElementCount => Dims.Aggregate(1L, static (a, d) => a * d);

        public long ByteCount => ElementCount * (Type == GgmlType.F32 ? 4 : 2);
    }

    private enum GgufType : uint
    {
        UInt32 = 4,
        Int32 = 5,
        Float32 = 6,
        Bool = 7,
        String = 8,
        Array = 9,
    }
}
