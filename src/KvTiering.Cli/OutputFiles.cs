namespace KvTiering.Cli;

/// <summary>
/// Checks a command's output files before it runs: a replay can take minutes, and a typo in <c>--json</c>'s folder or a
/// figure's extension found only when the results are written loses them all.
/// </summary>
internal static class OutputFiles
{
    /// <summary>Options that write a figure, and the extensions each accepts.</summary>
    private static readonly Dictionary<string, string[]> s_figureExtensions = new(StringComparer.Ordinal)
    {
        ["svg"] = [".svg"],
        ["png"] = [".png"],
        ["gap-plot"] = [".svg", ".png"],
    };

    /// <summary>
    /// Fails when a given option's file lies in a folder that does not exist (exit 1, as the write would) or a figure
    /// option's file has an extension other than its format's (exit 2: <c>--png out.svg</c> would write SVG).
    /// </summary>
    public static void Check(Arguments a, params string[] options)
    {
        foreach (string option in options)
        {
            if (a.Get(option) is not { } path)
            {
                continue;
            }

            if (s_figureExtensions.TryGetValue(option, out string[]? extensions)
                && !extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CliException($"--{option} '{path}' must end in {string.Join(" or ", extensions)}");
            }

            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null && !Directory.Exists(folder))
            {
                throw new DirectoryNotFoundException($"--{option} '{path}': the folder '{folder}' does not exist");
            }
        }
    }
}
