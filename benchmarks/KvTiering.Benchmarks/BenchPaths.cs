namespace KvTiering.Benchmarks;

/// <summary>Where the benchmarks find shared inputs.</summary>
internal static class BenchPaths
{
    /// <summary>../shared/traces beside the repository root (the folder holding KvTiering.sln).</summary>
    public static string TraceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvTiering.sln")))
            {
                return Path.Combine(dir.FullName, "..", "shared", "traces");
            }
        }

        return Path.Combine("..", "shared", "traces");
    }
}
