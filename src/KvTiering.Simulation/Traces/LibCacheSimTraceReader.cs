using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Reads libCacheSim's trace formats: <c>txt</c> (one object id per line), <c>csv</c> (columns chosen by
/// <see cref="CsvTraceOptions"/>) and <c>oracleGeneral</c> (24-byte binary records). Every reference becomes a
/// request of one block of one token, so a replay's block hit rate is 1 − libCacheSim's miss ratio.
/// </summary>
/// <remarks>
/// Formats as libCacheSim reads them (github.com/1a1a11a/libCacheSim, libCacheSim/traceReader): oracleGeneral is
/// packed little-endian <c>uint32 clock_time, uint64 obj_id, uint32 obj_size, int64 next_access_vtime</c>; txt and csv
/// ids that are not integers are taken as strings (libCacheSim hashes them; here each distinct string is one object).
/// Sizes are ignored: the harness caches blocks, so a capacity is a count of objects.
/// </remarks>
internal static class LibCacheSimTraceReader
{
    /// <summary>Bytes of one oracleGeneral record.</summary>
    public const int OracleGeneralRecord = 24;

    public static Trace Read(string path, string name, TraceFormat format, CsvTraceOptions? csv) =>
        TraceInput.Parse(path, bytes => format switch
        {
            TraceFormat.OracleGeneral => ParseOracleGeneral(path, name, bytes),
            TraceFormat.Csv => ParseText(path, name, bytes, csv ?? new CsvTraceOptions()),
            _ => ParseText(path, name, bytes, null),
        });

    internal static Trace ParseOracleGeneral(string path, string name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % OracleGeneralRecord != 0)
        {
            TraceThrow.Format(path, 0, string.Create(CultureInfo.InvariantCulture,
                $"{bytes.Length:N0} bytes is not a whole number of {OracleGeneralRecord}-byte oracleGeneral records (a .zst file must be decompressed first: zstd -d)."));
        }

        int n = bytes.Length / OracleGeneralRecord;
        var builder = new Builder(n);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> record = bytes.Slice(i * OracleGeneralRecord, OracleGeneralRecord);
            uint time = BinaryPrimitives.ReadUInt32LittleEndian(record);
            ulong id = BinaryPrimitives.ReadUInt64LittleEndian(record[4..]);
            builder.Add(time, unchecked((long)id));
        }

        return builder.Build(name);
    }

    internal static Trace ParseText(string path, string name, ReadOnlySpan<byte> bytes, CsvTraceOptions? csv)
    {
        var builder = new Builder(1024);
        var strings = new Dictionary<string, long>(StringComparer.Ordinal);
        long line = 0;
        bool header = csv?.HasHeader ?? false;
        while (TraceLines.TryNext(ref bytes, ref line, out ReadOnlySpan<byte> text))
        {
            if (header)
            {
                header = false;
                continue;
            }

            ReadOnlySpan<byte> idText = text;
            double time = builder.Count;
            if (csv is not null)
            {
                idText = Column(path, line, text, csv.Delimiter, csv.IdColumn, "obj-id-col");
                if (csv.TimeColumn > 0)
                {
                    ReadOnlySpan<byte> t = Column(path, line, text, csv.Delimiter, csv.TimeColumn, "time-col");
                    if (!double.TryParse(Encoding.UTF8.GetString(t), NumberStyles.Float, CultureInfo.InvariantCulture, out time) || !double.IsFinite(time))
                    {
                        TraceThrow.Format(path, line, $"time '{Encoding.UTF8.GetString(t)}' (column {csv.TimeColumn}) is not a number.");
                    }
                }
            }

            builder.Add(time, ObjectId(idText, strings));
        }

        return builder.Build(name);
    }

    private static long ObjectId(ReadOnlySpan<byte> text, Dictionary<string, long> strings)
    {
        if (System.Buffers.Text.Utf8Parser.TryParse(text, out ulong id, out int consumed) && consumed == text.Length)
        {
            return unchecked((long)id);
        }

        // A string id: give it an id of its own, below every numeric one libCacheSim could write (they are unsigned).
        string s = Encoding.UTF8.GetString(text);
        if (!strings.TryGetValue(s, out long mapped))
        {
            mapped = long.MinValue + strings.Count;
            strings.Add(s, mapped);
        }

        return mapped;
    }

    private static ReadOnlySpan<byte> Column(string path, long line, ReadOnlySpan<byte> text, byte delimiter, int column, string option)
    {
        int index = 1;
        while (index < column)
        {
            int at = text.IndexOf(delimiter);
            if (at < 0)
            {
                TraceThrow.Format(path, line, string.Create(CultureInfo.InvariantCulture,
                    $"has {index} column(s) but {option}={column}."));
            }

            text = text[(at + 1)..];
            index++;
        }

        int end = text.IndexOf(delimiter);
        ReadOnlySpan<byte> field = (end < 0 ? text : text[..end]).Trim(" \t\""u8);
        if (field.IsEmpty)
        {
            TraceThrow.Format(path, line, string.Create(CultureInfo.InvariantCulture, $"column {column} ({option}) is empty."));
        }

        return field;
    }

    /// <summary>One-block requests in arrival order, object ids made dense in first-seen order.</summary>
    private sealed class Builder(int capacity)
    {
        private readonly LocalIdMap _ids = new();
        private readonly List<double> _time = new(capacity);
        private readonly List<int> _blocks = new(capacity);
        private int _unique;

        public int Count => _time.Count;

        public void Add(double time, long id)
        {
            _time.Add(time);
            _blocks.Add(_ids.GetOrAdd(id, ref _unique));
        }

        public Trace Build(string name)
        {
            int n = _time.Count;
            var ones = new int[n];
            Array.Fill(ones, 1);
            var starts = new int[n + 1];
            for (int i = 0; i <= n; i++)
            {
                starts[i] = i;
            }

            double[] time = [.. _time];
            bool sorted = true;
            for (int i = 1; i < n && sorted; i++)
            {
                sorted = time[i] >= time[i - 1];
            }

            var trace = new Trace(name, 1, time, new long[n], ones, new int[n], starts, [.. _blocks], _unique);
            return sorted ? trace : TraceOrdering.SortByTime(trace);
        }
    }
}
