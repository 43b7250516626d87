using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace KvTiering.Cli;

/// <summary>
/// A command's parsed options by name ("trace" for <c>--trace</c>): System.CommandLine has checked that every option
/// is known and has its value; the commands parse the values themselves so each error names the value as typed.
/// </summary>
internal sealed class Arguments(ParseResult result)
{
    /// <summary>A string-valued option with a help name ("PATH") and a sentence for --help.</summary>
    public static Option<string> Value(string name, string helpName, string description) =>
        new("--" + name) { HelpName = helpName, Description = description };

    /// <summary>An on/off switch.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new("--" + name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>The command line as kvtier saw it ("kvtier simulate --policy lru ..."), for run details.</summary>
    public string CommandLine => "kvtier " + string.Join(' ', result.Tokens.Select(t => t.Value));

    public bool Has(string name) => result.GetResult("--" + name) is OptionResult { Implicit: false };

    public string? Get(string name) => Has(name) ? result.GetValue<string>("--" + name) : null;

    public string Require(string name) => Get(name) ?? throw new CliException($"option --{name} is required");

    public double GetDouble(string name, double fallback)
    {
        string? v = Get(name);
        if (v is null)
        {
            return fallback;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? d
            : throw new CliException($"--{name} '{v}' is not a number");
    }

    public int GetInt(string name, int fallback)
    {
        string? v = Get(name);
        if (v is null)
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new CliException($"--{name} '{v}' is not an integer");
    }
}
