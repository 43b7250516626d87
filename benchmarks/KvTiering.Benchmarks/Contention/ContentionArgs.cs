using System.Globalization;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// The contention program's command line: <c>contention [seconds] [64|2048|all] [memory|flash|all] [flags]</c>, the
/// flags <c>holds</c> (who holds the lock), <c>copies</c> (time the hit's lock-free copies,
/// <see cref="LookupTrace.TimesCopies"/>), <c>nice=N</c> (the write-behind worker at nice N,
/// <see cref="KvStoreOptions.WriteBehindNice"/>; the raw ceiling's direct writer follows it) and <c>background</c>
/// (nice=19), <c>cpu=N</c> (the hit loops pinned to CPU N, <see cref="HitCpu"/>).
/// </summary>
internal sealed class ContentionArgs
{
    private const string Usage = "contention [seconds] [64|2048|all] [memory|flash|all] [holds] [copies] [nice=0..19|background] [cpu=N]";

    public double Seconds { get; private init; } = 1.5;

    public string Sizes { get; private init; } = "all";

    public string Lowers { get; private init; } = "all";

    /// <summary>Record lock holds and the slowest hits' split (costs time per operation: diagnostic runs only).</summary>
    public bool Holds { get; private init; }

    /// <summary>Time every lock-free copy (two clock reads per hit: diagnostic runs only).</summary>
    public bool Copies { get; private init; }

    /// <summary>The write-behind worker's nice value; null leaves the store's default.</summary>
    public int? Nice { get; private init; }

    /// <summary>The CPU the hit loops run on (<see cref="HitCpu.Pin"/>); null leaves them to the scheduler.</summary>
    public int? Cpu { get; private init; }

    public static ContentionArgs Parse(string[] args)
    {
        string[] flags = args.Length > 3 ? args[3..] : [];
        int? nice = null;
        int? cpu = null;
        foreach (string flag in flags)
        {
            if (flag == "background")
            {
                nice = BackgroundPriority.Lowest;
            }
            else if (flag.StartsWith("nice=", StringComparison.Ordinal))
            {
                nice = int.TryParse(flag.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= BackgroundPriority.Lowest
                    ? n
                    : throw new ArgumentException($"{Usage}: '{flag}' is not a nice value from 0 to 19.", nameof(args));
            }
            else if (flag.StartsWith("cpu=", StringComparison.Ordinal))
            {
                cpu = int.TryParse(flag.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c < Math.Min(Environment.ProcessorCount, 64)
                    ? c
                    : throw new ArgumentException($"{Usage}: '{flag}' is not a CPU from 0 to {Math.Min(Environment.ProcessorCount, 64) - 1}.", nameof(args));
            }
            else if (flag is not ("holds" or "copies"))
            {
                throw new ArgumentException($"{Usage}: unknown flag '{flag}'.", nameof(args));
            }
        }

        var parsed = new ContentionArgs
        {
            Seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.5,
            Sizes = args.Length > 1 ? args[1] : "all",
            Lowers = args.Length > 2 ? args[2] : "all",
            Holds = flags.Contains("holds"),
            Copies = flags.Contains("copies"),
            Nice = nice,
            Cpu = cpu,
        };
        if (parsed.Sizes is not ("64" or "2048" or "all") || parsed.Lowers is not ("memory" or "flash" or "all"))
        {
            throw new ArgumentException($"{Usage}: got '{string.Join("' '", args)}'.", nameof(args));
        }

        return parsed;
    }
}
