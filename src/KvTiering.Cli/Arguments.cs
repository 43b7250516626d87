namespace KvTiering.Cli;

/// <summary>
/// Minimal "--name value" / "--flag" parsing: every option must be known to the command, every value present.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Arguments(IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new CliException($"unexpected argument '{arg}'");
            }

            string name = arg[2..];
            string? inline = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                _values[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                string? value = inline ?? (i + 1 < args.Count ? args[++i] : null);
                if (string.IsNullOrEmpty(value) || (inline is null && value.StartsWith("--", StringComparison.Ordinal)))
                {
                    throw new CliException($"option --{name} needs a value");
                }

                _values[name] = value;
            }
            else
            {
                throw new CliException($"unknown option --{name}");
            }
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v : null;
    }

    public string Require(string name) => Get(name) ?? throw new CliException($"option --{name} is required");

    public double GetDouble(string name, double fallback)
    {
        string? v = Get(name);
        if (v is null)
        {
            return fallback;
        }

        return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)
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

        return int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new CliException($"--{name} '{v}' is not an integer");
    }
}
