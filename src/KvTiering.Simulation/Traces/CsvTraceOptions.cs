using System.Globalization;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// Which columns of a csv trace hold what, in libCacheSim's words: <c>obj-id-col=2,time-col=1,has-header=true,delimiter=;</c>
/// (columns count from 1, as in libCacheSim's <c>-t</c> option).
/// </summary>
public sealed record CsvTraceOptions
{
    /// <summary>The 1-based column of the object id (default 1).</summary>
    public int IdColumn { get; init; } = 1;

    /// <summary>The 1-based column of the timestamp, or 0 when the trace has none (then arrival order is time).</summary>
    public int TimeColumn { get; init; }

    /// <summary>Whether the first line is a header to skip.</summary>
    public bool HasHeader { get; init; }

    /// <summary>The field separator (default a comma).</summary>
    public byte Delimiter { get; init; } = (byte)',';

    /// <summary>Parses libCacheSim's option string, e.g. <c>obj-id-col=2,time-col=1,has-header=true</c>.</summary>
    /// <exception cref="ArgumentException">An unknown key or a bad value; the message names it.</exception>
    public static CsvTraceOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var options = new CsvTraceOptions();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq].Trim();
            string value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            options = key.ToLowerInvariant() switch
            {
                "obj-id-col" => options with { IdColumn = Column(key, value) },
                "time-col" => options with { TimeColumn = Column(key, value) },
                "obj-size-col" or "op-col" or "ttl-col" or "next-access-col" => options, // sizes and ops do not apply to block caches
                "has-header" => options with { HasHeader = value.ToLowerInvariant() switch { "" or "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => throw Bad(key, value) } },
                "delimiter" => options with { Delimiter = value switch { "\\t" or "tab" => (byte)'\t', "" => (byte)',', _ when value.Length == 1 && value[0] < 128 => (byte)value[0], _ => throw Bad(key, value) } },
                _ => throw new ArgumentException($"Unknown csv trace option '{key}'. Valid: obj-id-col, time-col, has-header, delimiter.", nameof(text)),
            };
        }

        return options;
    }

    private static int Column(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int column) && column >= 1
            ? column
            : throw Bad(key, value);

    private static ArgumentException Bad(string key, string value) =>
        new($"Csv trace option {key}='{value}' is not valid.", nameof(key));
}
