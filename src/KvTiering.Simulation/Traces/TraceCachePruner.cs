namespace KvTiering.Simulation.Traces;

/// <summary>
/// Keeps the parsed-trace cache from growing without bound: every source path, reader option and session half is its
/// own entry (a WEKA replay's is 100–250 MB), and a trace whose files are copied again (new modification times) leaves
/// its old entries behind. After each write the least recently used entries go until the directory fits its budget;
/// a hit marks its entry used.
/// </summary>
/// <remarks>
/// Only this cache's own files are touched: <c>*.kvtrace</c> entries, and <c>*.tmp</c> files a writer left behind
/// more than a day ago (a crashed save). Deleting an entry another process is reading is safe on Linux (the open file
/// stays readable); where the platform refuses, the entry is skipped. Any failure leaves the cache as it is: the cache
/// is an optimisation and must never fail a load.
/// </remarks>
internal static class TraceCachePruner
{
    /// <summary>The cache's size budget when the options give none: room for a dozen WEKA entries.</summary>
    public const long DefaultBudgetBytes = 4L << 30;

    private static readonly TimeSpan StaleTemp = TimeSpan.FromDays(1);

    /// <summary>Marks <paramref name="file"/> as just used, so pruning keeps it longest.</summary>
    public static void Touch(string file)
    {
        try
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Deletes the least recently used entries of <paramref name="directory"/> until the rest fit in
    /// <paramref name="budgetBytes"/>, never <paramref name="keep"/> (the entry just written, kept even when it alone
    /// is larger than the budget). Returns how many entries were deleted.
    /// </summary>
    public static int Prune(string directory, string keep, long budgetBytes)
    {
        try
        {
            return PruneEntries(new DirectoryInfo(directory), Path.GetFullPath(keep), budgetBytes);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static int PruneEntries(DirectoryInfo directory, string keep, long budgetBytes)
    {
        DateTime now = DateTime.UtcNow;
        foreach (FileInfo temp in directory.EnumerateFiles("*.kvtrace.*.tmp"))
        {
            if (now - temp.LastWriteTimeUtc > StaleTemp)
            {
                TryDelete(temp);
            }
        }

        FileInfo[] entries = directory.GetFiles("*.kvtrace");
        long total = 0;
        foreach (FileInfo entry in entries)
        {
            total += entry.Length;
        }

        // Oldest use first; the name breaks ties so the order does not depend on the file system's listing.
        Array.Sort(entries, static (a, b) =>
        {
            int byTime = a.LastWriteTimeUtc.CompareTo(b.LastWriteTimeUtc);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Name, b.Name);
        });

        int deleted = 0;
        foreach (FileInfo entry in entries)
        {
            if (total <= budgetBytes)
            {
                break;
            }

            long length = entry.Length; // read first: a deleted FileInfo no longer knows its length
            if (entry.FullName != keep && TryDelete(entry))
            {
                total -= length;
                deleted++;
            }
        }

        return deleted;
    }

    private static bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
