using KvTiering.Simulation.Traces;
using KvTiering.Simulation.Workloads;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class TraceLoaderTests
{
    [Theory]
    [InlineData(TraceFormat.Mooncake)]
    [InlineData(TraceFormat.Weka)]
    public void Load_MissingPath_ThrowsFileNotFoundNamingIt(TraceFormat format)
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nope.jsonl");

        var ex = Assert.Throws<FileNotFoundException>(() => TraceLoader.Load(missing, format));

        Assert.Equal(missing, ex.FileName);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WekaDirectoryWithoutSessionFiles_ThrowsFileNotFound()
    {
        using var dir = new TempDirectory();
        dir.Write("README.md", "nothing here");

        Assert.Throws<FileNotFoundException>(() =>
            TraceLoader.Load(dir.Path, TraceFormat.Weka, new TraceLoadOptions { UseCache = false }));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Load_BadStagger_ThrowsNamingIt(double stagger)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("trace_1.json", WekaJson.Session(64, 0, WekaJson.Request(0, 1)));

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            TraceLoader.Load(file, TraceFormat.Weka, new TraceLoadOptions { StaggerSeconds = stagger }));

        Assert.Equal(nameof(TraceLoadOptions.StaggerSeconds), ex.ParamName);
    }

    [Fact]
    public void Load_Synthetic_GeneratesFromTheOptions_WithoutTouchingDisk()
    {
        var synthetic = new SyntheticAgentOptions { Seed = 7, DurationSeconds = 300, ConcurrentSessions = 4 };

        Trace loaded = TraceLoader.Load("my-workload", TraceFormat.Synthetic,
            new TraceLoadOptions { Synthetic = synthetic }, out TraceSource source);

        Assert.Equal(TraceSource.Generated, source);
        Assert.Equal("my-workload", loaded.Name);
        TraceAssert.Same(SyntheticAgentWorkload.Generate(synthetic, "my-workload"), loaded);
    }
}
