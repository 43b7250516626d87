using System.Globalization;

namespace KvTiering.Cli;

/// <summary>A capacity as the user wrote it: a block count ("12415") or a share of unique blocks ("2.5%").</summary>
internal readonly record struct CapacitySpec(double Value, bool IsPercent)
{
    public static IReadOnlyList<CapacitySpec> ParseList(string text)
    {
        var list = new List<CapacitySpec>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            bool percent = raw.EndsWith('%');
            string number = percent ? raw[..^1] : raw;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || double.IsNaN(value))
            {
                throw new CliException($"capacity '{raw}' is neither a block count nor a percentage");
            }

            if (value <= 0)
            {
                throw new CliException($"capacity '{raw}' must be positive");
            }

            if (percent && value > 100)
            {
                // 100% already holds every block of the trace: a larger share changes nothing, so it is most likely a
                // typo (150% for 1.50%), and a run at it would only look like a result.
                throw new CliException($"capacity '{raw}' is more than 100% of the trace's unique blocks (at 100% every block fits)");
            }

            if (!percent && value != Math.Floor(value))
            {
                throw new CliException($"capacity '{raw}' is a fractional block count; use a whole number or a percentage");
            }

            list.Add(new CapacitySpec(value, percent));
        }

        return list.Count > 0 ? list : throw new CliException("--capacity lists no capacity");
    }

    public int Resolve(int uniqueBlocks)
    {
        double blocks = IsPercent ? Math.Round(uniqueBlocks * Value / 100.0) : Value;
        if (blocks < 1)
        {
            throw new CliException($"capacity {this} is below one block of a trace with {uniqueBlocks} unique blocks");
        }

        return blocks > int.MaxValue / 4 ? throw new CliException($"capacity {this} is too large") : (int)blocks;
    }

    public override string ToString() => IsPercent ? string.Create(CultureInfo.InvariantCulture, $"{Value}%") : string.Create(CultureInfo.InvariantCulture, $"{Value}");
}
