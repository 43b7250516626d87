using System.IO.Compression;
using System.Text;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests;

/// <summary>A temporary directory for files a test writes, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvtiering-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        string file = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        System.IO.File.WriteAllText(file, text);
        return file;
    }

    public string WriteGzip(string name, string text)
    {
        string file = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        System.IO.File.WriteAllBytes(file, Gzip(text));
        return file;
    }

    public static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Trace assertions shared by the reader tests.</summary>
internal static class TraceAssert
{
    public static int[][] Requests(Trace trace) =>
        Enumerable.Range(0, trace.RequestCount).Select(i => trace.Blocks(i).ToArray()).ToArray();

    public static void Same(Trace expected, Trace actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.BlockTokens, actual.BlockTokens);
        Assert.Equal(expected.UniqueBlocks, actual.UniqueBlocks);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.Session, actual.Session);
        Assert.Equal(expected.InputTokens, actual.InputTokens);
        Assert.Equal(expected.OutputTokens, actual.OutputTokens);
        Assert.Equal(expected.RequestStart, actual.RequestStart);
        Assert.True(expected.BlockIds.AsSpan().SequenceEqual(actual.BlockIds), "block ids differ");
        Assert.Equal(expected.TurnEnds, actual.TurnEnds);
        Assert.Equal(expected.ResponseSeconds, actual.ResponseSeconds);
    }
}

/// <summary>Finds the read-only shared traces beside the repository (../shared from the folder with KvTiering.sln).</summary>
internal static class SharedTraces
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "KvTiering.sln")))
            {
                dir = dir.Parent;
            }

            Assert.True(dir is not null, $"No KvTiering.sln above {AppContext.BaseDirectory}; cannot locate ../shared.");
            string shared = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "traces"));
            Assert.True(Directory.Exists(shared),
                $"The shared traces are missing: expected them at {shared} (../shared/traces beside the repository).");
            return shared;
        }
    }
}
