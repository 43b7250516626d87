namespace KvTiering;

/// <summary>
/// "Did you mean …?" for names the user mistyped: the closest candidate by edit distance, if close enough. Linked into
/// kvtier (options, policies, models), KvTiering.Extensions and the agent server (configuration keys).
/// </summary>
internal static class Suggest
{
    /// <summary>" (did you mean 'lru'?)" when a candidate is within a third of the word's length in edits; else "".</summary>
    public static string DidYouMean(string value, IEnumerable<string> candidates) =>
        Closest(value, candidates) is { } best ? $" (did you mean '{best}'?)" : "";

    public static string? Closest(string value, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(candidates);
        string typed = value.Trim().ToLowerInvariant();
        string? best = null;
        int bestDistance = Math.Max(1, typed.Length / 3) + 1;
        foreach (string candidate in candidates)
        {
            int d = Distance(typed, candidate.ToLowerInvariant());
            if (d < bestDistance || (d > 0 && candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && best is null))
            {
                best = candidate;
                bestDistance = Math.Min(d, bestDistance);
            }
        }

        return best;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions: "lur" is one edit from "lru").</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
