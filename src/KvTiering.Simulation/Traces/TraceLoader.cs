using KvTiering.Simulation.Workloads;

namespace KvTiering.Simulation.Traces;

/// <summary>Loads a trace by format, through a binary cache so each source is parsed once.</summary>
public static class TraceLoader
{
    /// <summary>Reads (or generates) a trace.</summary>
    /// <param name="path">
    /// The Mooncake JSON-lines file, or the WEKA session directory (or one session file). For
    /// <see cref="TraceFormat.Synthetic"/> only the trace's name; nothing is read.
    /// </param>
    /// <param name="format">How to read it.</param>
    /// <param name="options">Reader, cache and workload settings; null means defaults.</param>
    /// <returns>The trace in replay order.</returns>
    /// <exception cref="FileNotFoundException">The file or directory does not exist.</exception>
    /// <exception cref="TraceFormatException">A file is malformed; the message names it.</exception>
    public static Trace Load(string path, TraceFormat format, TraceLoadOptions? options = null) =>
        Load(path, format, options, out _);

    internal static Trace Load(string path, TraceFormat format, TraceLoadOptions? options, out TraceSource source)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new TraceLoadOptions();
        options.Validate();
        if (format == TraceFormat.Synthetic)
        {
            source = TraceSource.Generated;
            SyntheticAgentOptions synthetic = options.Synthetic ?? new SyntheticAgentOptions();
            return SyntheticAgentWorkload.Generate(synthetic, path.Length == 0 ? "synthetic-agent" : path);
        }

        if (format is not (TraceFormat.Mooncake or TraceFormat.Weka or TraceFormat.Txt or TraceFormat.Csv or TraceFormat.OracleGeneral or TraceFormat.Bailian))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(format), format, $"Unknown trace format {format}.");
        }

        string fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!File.Exists(fullPath) && !(format == TraceFormat.Weka && Directory.Exists(fullPath)))
        {
            TraceThrow.FileNotFound(fullPath);
        }

        if (format is TraceFormat.Txt or TraceFormat.Csv or TraceFormat.OracleGeneral or TraceFormat.Bailian)
        {
            // One pass over flat records: parsing is as quick as reading a cache file would be.
            source = TraceSource.Parsed;
            string stem = Path.GetFileName(fullPath);
            return format == TraceFormat.Bailian
                ? BailianTraceReader.Read(fullPath, stem)
                : LibCacheSimTraceReader.Read(fullPath, stem, format, options.Csv);
        }

        string? cacheFile = null;
        string key = string.Empty;
        if (options.UseCache)
        {
            key = TraceCache.Key(fullPath, format, options);
            cacheFile = TraceCache.FileFor(options.ResolvedCacheDirectory, format, key);
            Trace? cached = TraceCache.TryLoad(cacheFile, key);
            if (cached is not null)
            {
                TraceCachePruner.Touch(cacheFile);
                source = TraceSource.Cache;
                return cached;
            }
        }

        Trace trace = format == TraceFormat.Mooncake
            ? MooncakeTraceReader.Read(fullPath, NameOf(fullPath, format))
            : WekaTraceReader.Read(fullPath, NameOf(fullPath, format), options);
        source = TraceSource.Parsed;
        if (cacheFile is not null)
        {
            TrySave(cacheFile, key, trace);
            TraceCachePruner.Prune(options.ResolvedCacheDirectory, cacheFile, options.CacheBudgetBytes);
        }

        return trace;
    }

    private static string NameOf(string fullPath, TraceFormat format)
    {
        string stem = Path.GetFileName(fullPath);
        foreach (string suffix in (ReadOnlySpan<string>)[".gz", ".jsonl", ".json", "_trace"])
        {
            if (stem.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                stem = stem[..^suffix.Length];
            }
        }

        string prefix = format == TraceFormat.Mooncake ? "mooncake-" : "weka-";
        return stem.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? stem : prefix + stem;
    }

    // The cache is an optimisation: a read-only or full cache directory must not fail the load.
    private static void TrySave(string cacheFile, string key, Trace trace)
    {
        try
        {
            TraceCache.Save(cacheFile, key, trace);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
