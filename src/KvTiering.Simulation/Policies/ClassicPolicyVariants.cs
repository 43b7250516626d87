using System.Globalization;
using KvTiering.Eviction;

namespace KvTiering.Simulation.Policies;

/// <summary>
/// Classic policies with their parameters set, written "s3fifo:small=0.1+threshold=2" or "wtinylfu:window=0.01" (the
/// CLI also takes commas: <c>--policy s3fifo:small=0.1,threshold=2</c>). Defaults and libCacheSim's values:
/// S3-FIFO small = 0.1, threshold = 1 (libCacheSim: 0.1 and 2); W-TinyLFU window = 0.01 (libCacheSim: 0.01), and
/// <c>wtinylfu:libcachesim=1</c> replays libCacheSim's WTinyLFU.c (its sketch, counting and segments) instead of
/// Caffeine's W-TinyLFU.
/// </summary>
public static class ClassicPolicyVariants
{
    /// <summary>Whether <paramref name="name"/> is a parameterized classic policy this class reads.</summary>
    public static bool Handles(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith("s3fifo:", StringComparison.OrdinalIgnoreCase) || name.StartsWith("wtinylfu:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The policy <paramref name="spec"/> describes, named by its normalized spec ("s3fifo:small=0.1+threshold=2").</summary>
    /// <exception cref="ArgumentException">A setting is unknown, malformed or out of range; the message names it.</exception>
    public static EvictionPolicy Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec = spec.Trim();
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string policy = colon < 0 ? spec.ToLowerInvariant() : spec[..colon].ToLowerInvariant();
        var settings = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string part in spec[(colon + 1)..].Split(['+', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw new ArgumentException($"Policy setting '{part}' in '{spec}' is not key=number.", nameof(spec));
            }

            settings[part[..eq].ToLowerInvariant()] = value;
        }

        try
        {
            return policy switch
            {
                "s3fifo" => S3Fifo(spec, settings),
                "wtinylfu" => WTinyLfu(spec, settings),
                _ => throw new ArgumentException($"Policy '{policy}' in '{spec}' takes no settings (s3fifo and wtinylfu do).", nameof(spec)),
            };
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentException($"{ex.Message.Split(" (Parameter", 2)[0]} ('{spec}')", nameof(spec), ex);
        }
    }

    private static EvictionPolicy S3Fifo(string spec, Dictionary<string, double> settings)
    {
        Reject(spec, settings, "small", "threshold");
        double small = settings.GetValueOrDefault("small", S3FifoPolicy.DefaultSmallShare);
        double threshold = settings.GetValueOrDefault("threshold", S3FifoPolicy.DefaultMoveThreshold);
        if (threshold != Math.Floor(threshold))
        {
            throw new ArgumentException($"S3-FIFO's threshold {threshold.ToString(CultureInfo.InvariantCulture)} in '{spec}' is not a whole number of hits.", nameof(spec));
        }

        _ = new S3FifoPolicy(small, (int)threshold); // validates now, not at the first replay
        string name = string.Create(CultureInfo.InvariantCulture, $"s3fifo:small={small}+threshold={threshold}");
        return EvictionPolicy.Create(name, () => new S3FifoPolicy(small, (int)threshold));
    }

    private static EvictionPolicy WTinyLfu(string spec, Dictionary<string, double> settings)
    {
        Reject(spec, settings, "window", "libcachesim");
        double window = settings.GetValueOrDefault("window", WTinyLfuPolicy.DefaultWindowShare);
        double libCacheSim = settings.GetValueOrDefault("libcachesim", 0);
        if (libCacheSim is not (0 or 1))
        {
            throw new ArgumentException($"W-TinyLFU's libcachesim setting {libCacheSim.ToString(CultureInfo.InvariantCulture)} in '{spec}' must be 0 (Caffeine's, the default) or 1 (libCacheSim's WTinyLFU.c).", nameof(spec));
        }

        if (libCacheSim == 1)
        {
            _ = new WTinyLfuLibCacheSimPolicy(window);
            return EvictionPolicy.Create(string.Create(CultureInfo.InvariantCulture, $"wtinylfu:window={window}+libcachesim=1"), () => new WTinyLfuLibCacheSimPolicy(window));
        }

        _ = new WTinyLfuPolicy(window);
        return EvictionPolicy.Create(string.Create(CultureInfo.InvariantCulture, $"wtinylfu:window={window}"), () => new WTinyLfuPolicy(window));
    }

    private static void Reject(string spec, Dictionary<string, double> settings, params string[] known)
    {
        foreach (string key in settings.Keys.Where(k => !known.Contains(k)))
        {
            throw new ArgumentException($"Unknown setting '{key}' in '{spec}' (known: {string.Join(", ", known)}).", nameof(spec));
        }
    }
}
