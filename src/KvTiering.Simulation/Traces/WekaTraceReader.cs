using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Reads WEKA kv-cache-tester agent traces: one JSON (or gzip'd JSON) file per agent session, sub-agents nested in
/// their parent's request list, hash ids local to a session file.
/// </summary>
/// <remarks>
/// Format from WEKA's kv-cache-tester Claude Code traces (Apache-2.0). Session <c>i</c> in file-name order starts at
/// <c>i × stagger</c> seconds; replay order is time, then session index, then position in a depth-first walk of the
/// file. Files are parsed in parallel and merged in order, so the result does not depend on the thread count.
/// </remarks>
internal static class WekaTraceReader
{
    /// <summary>The session files a path names: the file itself, or a directory's <c>*.json</c> and <c>*.json.gz</c>.</summary>
    public static string[] SessionFiles(string path)
    {
        if (!Directory.Exists(path))
        {
            return [path];
        }

        string[] files = Directory.EnumerateFiles(path)
            .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ||
                        f.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// A folder is read as WEKA sessions; one that holds other traces (../shared/traces/mooncake) gets its files named,
    /// since the user most likely meant one of them.
    /// </summary>
    private static string OtherTraces(string path)
    {
        if (!Directory.Exists(path))
        {
            return "";
        }

        string[] others = [.. Directory.EnumerateFiles(path)
            .Where(static f => f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || f.Contains("oracleGeneral", StringComparison.OrdinalIgnoreCase))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(3)!];
        return others.Length == 0 ? ""
            : $" A folder is read as WEKA sessions; for a trace file give its path, e.g. '{Path.Combine(path, others[0])}' (here: {string.Join(", ", others)}).";
    }

    public static Trace Read(string path, string name, TraceLoadOptions options)
    {
        string[] files = SessionFiles(path);
        if (options.SessionModulus > 1)
        {
            files = files.Where((_, i) => i % options.SessionModulus == options.SessionRemainder).ToArray();
        }

        if (files.Length == 0)
        {
            throw new FileNotFoundException($"No WEKA session files (*.json, *.json.gz) in '{path}'.{OtherTraces(path)}", path);
        }

        var sessions = new WekaSession[files.Length];
        var errors = new Exception?[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            try
            {
                sessions[i] = ParseFile(files[i], options);
            }
            catch (Exception ex) when (ex is TraceFormatException or IOException or UnauthorizedAccessException)
            {
                errors[i] = ex;
            }
        });

        // Report the first failing file, whatever order the threads hit them in.
        foreach (Exception? error in errors)
        {
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        return Merge(name, files, sessions, options.StaggerSeconds);
    }

    private static WekaSession ParseFile(string file, TraceLoadOptions options) =>
        TraceInput.Parse(file, bytes => WekaSession.Parse(file, bytes, options.IsolateSubagentHashes, options.SharedToolPrefix));

    private static Trace Merge(string name, string[] files, WekaSession[] sessions, double stagger)
    {
        int blockSize = sessions[0].BlockSize;
        int shared = 0;
        int requests = 0;
        long references = 0;
        foreach (WekaSession s in sessions)
        {
            shared = Math.Max(shared, s.SharedBlocks);
            requests += s.RequestCount;
            references += s.Ids.Count;
        }

        if (references > Array.MaxLength)
        {
            throw new InvalidOperationException($"The trace has {references} block references, more than one array holds.");
        }

        // Shared tool-prefix ids come first, then each file's ids in file order.
        var idBase = new int[sessions.Length];
        var sessionBase = new long[sessions.Length];
        long unique = shared;
        long sessionCount = 1; // 0 means "no session" to the store and its policies
        var order = new (double Time, int File, int Row)[requests];
        int k = 0;
        for (int f = 0; f < sessions.Length; f++)
        {
            WekaSession s = sessions[f];
            if (s.BlockSize != blockSize)
            {
                TraceThrow.Format(files[f], 0,
                    $"block_size {s.BlockSize} differs from {blockSize} in '{files[0]}'; a trace has one block size.");
            }

            idBase[f] = checked((int)unique);
            unique += s.LocalUnique;
            sessionBase[f] = sessionCount;
            sessionCount += s.ScopeCount;
            double start = f * stagger;
            for (int r = 0; r < s.RequestCount; r++)
            {
                order[k++] = (start + s.Time[r], f, r);
            }
        }

        Array.Sort(order);
        var time = new double[requests];
        var session = new long[requests];
        var input = new int[requests];
        var output = new int[requests];
        var ends = new TurnEnd[requests];
        var responses = new double[requests];
        var starts = new int[requests + 1];
        var blocks = new int[references];
        int at = 0;
        for (int i = 0; i < requests; i++)
        {
            (double t, int f, int r) = order[i];
            WekaSession s = sessions[f];
            time[i] = t;
            session[i] = sessionBase[f] + s.Scope[r];
            input[i] = s.Input[r];
            output[i] = s.Output[r];
            ends[i] = s.Ends[r];
            responses[i] = s.ResponseSeconds[r];
            starts[i] = at;
            int from = r == 0 ? 0 : s.End[r - 1];
            int fileBase = idBase[f];
            foreach (int id in CollectionsMarshal.AsSpan(s.Ids)[from..s.End[r]])
            {
                blocks[at++] = id >= 0 ? fileBase + id : -id - 1;
            }
        }

        starts[requests] = at;
        return new Trace(name, blockSize, time, session, input, output, starts, blocks, checked((int)unique)) {
            TurnEnds = ends,
            ResponseSeconds = responses.AsSpan().ContainsAnyExcept(0.0) ? responses : null,
        };
    }
}
