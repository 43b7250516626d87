using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class TraceCacheTests
{
    private const string Lines =
        """
        {"timestamp": 0, "input_length": 1500, "output_length": 10, "hash_ids": [10, 20, 30]}
        {"timestamp": 1500, "input_length": 1600, "output_length": 20, "hash_ids": [10, 20, 40]}
        """;

    [Fact]
    public void Load_SecondTime_ReadsTheCache_AndGivesTheSameTrace()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("conversation_trace.jsonl", Lines);
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache") };

        Trace parsed = TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource first);
        Trace cached = TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource second);

        Assert.Equal(TraceSource.Parsed, first);
        Assert.Equal(TraceSource.Cache, second);
        TraceAssert.Same(parsed, cached);
        Assert.Equal("mooncake-conversation", cached.Name);
        Assert.Single(Directory.GetFiles(dir.File("cache")));
    }

    [Fact]
    public void Load_WekaDirectory_RoundTripsThroughTheCache_PerOptions()
    {
        using var dir = new TempDirectory();
        dir.Write("traces/trace_1.json", WekaJson.Session(64, 64,
            WekaJson.Request(0, 1, 2), WekaJson.Subagent(3, WekaJson.Request(0.5, 9))));
        dir.WriteGzip("traces/trace_2.json.gz", WekaJson.Session(64, 64, WekaJson.Request(0, 1, 2, 3)));
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache"), SharedToolPrefix = true };

        Trace parsed = TraceLoader.Load(dir.File("traces"), TraceFormat.Weka, options, out TraceSource first);
        Trace cached = TraceLoader.Load(dir.File("traces"), TraceFormat.Weka, options, out TraceSource second);
        TraceLoader.Load(dir.File("traces"), TraceFormat.Weka, options with { StaggerSeconds = 1 }, out TraceSource third);

        Assert.Equal(TraceSource.Parsed, first);
        Assert.Equal(TraceSource.Cache, second);
        Assert.Equal(TraceSource.Parsed, third);
        TraceAssert.Same(parsed, cached);
        Assert.Equal([1L, 2L, 3L], cached.Session);
        Assert.Equal([[0, 1], [2], [0, 3, 4]], TraceAssert.Requests(cached));
    }

    [Theory]
    [InlineData(CacheDamage.FlipByte)]
    [InlineData(CacheDamage.Truncate)]
    [InlineData(CacheDamage.AppendByte)]
    [InlineData(CacheDamage.Empty)]
    public void Load_DamagedCache_IsReParsedAndRewritten(CacheDamage damage)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl", Lines);
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache") };
        Trace parsed = TraceLoader.Load(file, TraceFormat.Mooncake, options);
        string cacheFile = Assert.Single(Directory.GetFiles(dir.File("cache")));
        byte[] bytes = File.ReadAllBytes(cacheFile);
        byte[] damaged = damage switch
        {
            CacheDamage.FlipByte => FlipLastId(bytes),
            CacheDamage.Truncate => bytes[..^9],
            CacheDamage.AppendByte => [.. bytes, 0],
            _ => [],
        };
        File.WriteAllBytes(cacheFile, damaged);

        Trace again = TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource source);
        TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource afterRewrite);

        Assert.Equal(TraceSource.Parsed, source);
        TraceAssert.Same(parsed, again);
        Assert.Equal(TraceSource.Cache, afterRewrite);
    }

    [Fact]
    public void Load_ChangedSource_MissesTheCache()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl", Lines);
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache") };
        TraceLoader.Load(file, TraceFormat.Mooncake, options);
        File.AppendAllText(file, "\n{\"timestamp\": 2000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [99]}\n");

        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource source);

        Assert.Equal(TraceSource.Parsed, source);
        Assert.Equal(3, trace.RequestCount);
    }

    [Fact]
    public void Load_WithoutCache_WritesNothing()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl", Lines);
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache"), UseCache = false };

        TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource first);
        TraceLoader.Load(file, TraceFormat.Mooncake, options, out TraceSource second);

        Assert.Equal(TraceSource.Parsed, first);
        Assert.Equal(TraceSource.Parsed, second);
        Assert.False(Directory.Exists(dir.File("cache")));
    }

    // The last four bytes before the checksum are the last block id: a flip there changes only data, not lengths.
    private static byte[] FlipLastId(byte[] bytes)
    {
        byte[] copy = [.. bytes];
        copy[^9] ^= 0x01;
        return copy;
    }

    public enum CacheDamage
    {
        FlipByte,
        Truncate,
        AppendByte,
        Empty,
    }
}
