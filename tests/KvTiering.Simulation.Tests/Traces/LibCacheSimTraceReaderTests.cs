using System.Buffers.Binary;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class LibCacheSimTraceReaderTests
{
    private static readonly TraceLoadOptions NoCache = new() { UseCache = false };

    [Fact]
    public void Txt_makes_one_single_block_request_per_line_with_numeric_and_string_ids()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.txt", "17\nalpha\n\n17\n18446744073709551615\nalpha\n");
        Trace trace = TraceLoader.Load(file, TraceFormat.Txt, NoCache);
        Assert.Equal(1, trace.BlockTokens);
        Assert.Equal([[0], [1], [0], [2], [1]], TraceAssert.Requests(trace));
        Assert.Equal(3, trace.UniqueBlocks);
        Assert.Equal([0.0, 1, 2, 3, 4], trace.Time);
    }

    [Fact]
    public void Csv_reads_the_columns_named_in_libcachesim_words()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.csv", "time;size;id\n5;100;a\n7;100;b\n9;100;a\n");
        var options = NoCache with { Csv = CsvTraceOptions.Parse("obj-id-col=3, time-col=1, has-header=true, delimiter=;") };
        Trace trace = TraceLoader.Load(file, TraceFormat.Csv, options);
        Assert.Equal([[0], [1], [0]], TraceAssert.Requests(trace));
        Assert.Equal([5.0, 7, 9], trace.Time);
    }

    [Fact]
    public void Csv_rows_without_the_column_fail_with_their_line_number()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bad.csv", "1,a\n2\n");
        var options = NoCache with { Csv = CsvTraceOptions.Parse("obj-id-col=2,time-col=1") };
        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Csv, options));
        Assert.Equal(2, ex.LineNumber);
        Assert.Contains("obj-id-col=2", ex.Message, StringComparison.Ordinal);

        file = dir.Write("badtime.csv", "1,a\nsoon,b\n");
        ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.Csv, options));
        Assert.Equal(2, ex.LineNumber);
        Assert.Contains("'soon'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OracleGeneral_reads_24_byte_records_and_refuses_a_partial_one()
    {
        using var dir = new TempDirectory();
        (uint Time, ulong Id)[] records = [(1, 42), (2, 43), (3, 42), (4, ulong.MaxValue)];
        var bytes = new byte[records.Length * 24];
        for (int i = 0; i < records.Length; i++)
        {
            Span<byte> r = bytes.AsSpan(i * 24, 24);
            BinaryPrimitives.WriteUInt32LittleEndian(r, records[i].Time);
            BinaryPrimitives.WriteUInt64LittleEndian(r[4..], records[i].Id);
            BinaryPrimitives.WriteUInt32LittleEndian(r[12..], 4096);
            BinaryPrimitives.WriteInt64LittleEndian(r[16..], -1);
        }

        string file = dir.File("t.oracleGeneral.bin");
        File.WriteAllBytes(file, bytes);
        Trace trace = TraceLoader.Load(file, TraceFormat.OracleGeneral, NoCache);
        Assert.Equal([[0], [1], [0], [2]], TraceAssert.Requests(trace));
        Assert.Equal([1.0, 2, 3, 4], trace.Time);

        File.WriteAllBytes(file, bytes[..30]);
        var ex = Assert.Throws<TraceFormatException>(() => TraceLoader.Load(file, TraceFormat.OracleGeneral, NoCache));
        Assert.Contains("24-byte", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("obj-id-col=0")]
    [InlineData("has-header=maybe")]
    [InlineData("colour=blue")]
    public void Bad_csv_options_name_the_value(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTraceOptions.Parse(text));
        Assert.Contains(text.Split('=')[0], ex.Message, StringComparison.Ordinal);
    }
}
